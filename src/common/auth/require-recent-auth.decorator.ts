import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { authConfig } from '../../config/auth.config';
import { Clock } from '../clock/clock';
import { AppException } from '../errors';
import { ApiErrors } from '../http/api-docs';
import type { AuthPrincipal } from './auth-principal';

/** Step-up: the session's last primary authentication must be within REAUTH_WINDOW seconds. */
@Injectable()
export class RecentAuthGuard implements CanActivate {
  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const auth = context.switchToHttp().getRequest<FastifyRequest>().auth;
    if (!auth) throw new AppException('UNAUTHORIZED');
    this.assertRecent(auth);
    return true;
  }

  /** The same check for callers that are not routes (the hosted pages ask before their step-up actions). */
  assertRecent(auth: AuthPrincipal): void {
    if (this.clock.nowSeconds() - auth.authTime > this.config.reauthWindow) throw new AppException('REAUTH_REQUIRED');
  }
}

/** For sensitive changes (factors, passkeys, recovery codes, password): 401 REAUTH_REQUIRED when stale. */
export const RequireRecentAuth = () => applyDecorators(UseGuards(RecentAuthGuard), ApiErrors('REAUTH_REQUIRED'));
