import { createParamDecorator, ExecutionContext, ParseUUIDPipe } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../common/errors';

/** The admin behind a request, as PermissionsGuard read them from PostgreSQL. */
export interface AdminActor {
  userId: string;
  tenantId: string;
  isPlatformAdmin: boolean;
}

/**
 * Where an admin action may reach: one tenant, or every tenant (`tenantId` undefined), which
 * only a platform admin gets. Everything outside the scope is NOT_FOUND, never FORBIDDEN, so
 * an admin cannot even learn that another tenant's user exists.
 */
export interface AdminScope {
  actor: AdminActor;
  tenantId?: string;
}

export function scopeFor(actor: AdminActor, requestedTenantId: string | undefined): AdminScope {
  if (actor.isPlatformAdmin) return { actor, tenantId: requestedTenantId };
  if (requestedTenantId !== undefined && requestedTenantId !== actor.tenantId) throw new AppException('FORBIDDEN');
  return { actor, tenantId: actor.tenantId };
}

/** The calling admin; only on routes behind @RequirePermissions (the guard loads the live row). */
export const CurrentAdmin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminActor => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const user = request.liveUser;
  // Reached only if a route forgot @RequirePermissions: fail closed.
  if (!user) throw new AppException('FORBIDDEN');
  return { userId: user.id, tenantId: user.tenantId, isPlatformAdmin: user.isPlatformAdmin };
});

/** Ids are UUIDs; anything else cannot name a row, so it is simply not found. */
export const ParseIdPipe = new ParseUUIDPipe({ exceptionFactory: () => new AppException('NOT_FOUND') });
