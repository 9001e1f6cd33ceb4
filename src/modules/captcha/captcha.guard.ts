import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../common/errors';
import { DEFAULT_TENANT_ID } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import { CAPTCHA_TOKEN_MAX_LENGTH, CaptchaService } from './captcha.service';

/**
 * Where the tenant asks for a CAPTCHA (`captcha: "always"`), the body's `captchaToken` must be
 * one the provider confirms, before the route does anything: no lookup, no hash, no message.
 * It runs after the global guards (tenant, per-IP throttling), so a flood is cut off before it
 * costs a call to the provider. The services behind the routes know nothing of it.
 */
@Injectable()
export class CaptchaGuard implements CanActivate {
  constructor(
    private readonly tenants: TenantsService,
    private readonly captcha: CaptchaService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const settings = await this.tenants.settingsOf(request.tenantId ?? DEFAULT_TENANT_ID);
    if (settings.captcha !== 'always') return true;
    const token = (request.body as { captchaToken?: unknown } | undefined)?.captchaToken;
    if (typeof token !== 'string' || token.length === 0 || token.length > CAPTCHA_TOKEN_MAX_LENGTH) {
      throw new AppException('CAPTCHA_REQUIRED');
    }
    await this.captcha.assertSolved(token, request.ip);
    return true;
  }
}
