import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AccessTokenVerifier } from '../sessions/access-token.verifier';
import { declaredAccess } from './route-access.check';

type RouteClass = ReturnType<ExecutionContext['getClass']>;
type RouteHandler = ReturnType<ExecutionContext['getHandler']>;

/**
 * Global authentication: enforces the access each route declares (`@Public()`, or
 * `@Authenticated()` / `@RequirePermissions()`), and denies by default. Every other route needs
 * a verified access token whose session is live (AccessTokenVerifier).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  /** Route metadata never changes after boot: read it once per (class, handler), not per request. */
  private readonly publicRoutes = new WeakMap<RouteClass, WeakMap<RouteHandler, boolean>>();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context.getClass(), context.getHandler())) return true;
    await this.verifier.authenticate(context.getArgByIndex<FastifyRequest>(0));
    return true;
  }

  private isPublic(target: RouteClass, handler: RouteHandler): boolean {
    let handlers = this.publicRoutes.get(target);
    if (!handlers) this.publicRoutes.set(target, (handlers = new WeakMap()));
    let isPublic = handlers.get(handler);
    if (isPublic === undefined) {
      // Exactly what the decorators declared (RouteAccessCheck refuses to boot otherwise); anything
      // but a lone @Public() needs a live session, so a route declaring both still fails closed.
      const declared = declaredAccess(this.reflector, handler, target);
      isPublic = declared.length === 1 && declared[0] === 'public';
      handlers.set(handler, isPublic);
    }
    return isPublic;
  }
}
