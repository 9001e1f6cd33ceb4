import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { matchedRoute } from '../../common/http/matched-route';
import { DEFAULT_TENANT_ID } from './tenant.entity';
import { TenantsService } from './tenants.service';

export const TENANT_HEADER = 'x-tenant-id';

/**
 * Resolves X-Tenant-Id for /api routes (absent means `default`); runs before authentication.
 * Which routes is decided by the route Fastify matched, not by the request target: an
 * absolute-form target (`POST http://host/api/…`) is routed like `/api/…` but does not start
 * with it. A route of unknown shape is resolved too, so a mistake fails closed.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(private readonly tenants: TenantsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const route = matchedRoute(request);
    if (route !== undefined && !route.startsWith('/api/')) return true;
    const header = request.headers[TENANT_HEADER];
    const requested = typeof header === 'string' && header.length > 0 ? header : DEFAULT_TENANT_ID;
    request.tenantId = (await this.tenants.resolveActive(requested)).id;
    return true;
  }
}
