import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { AccessTokenClaims } from '../sessions/access-token';
import { AccessTokenService } from '../sessions/access-token.service';
import { AccessTokenVerifier } from '../sessions/access-token.verifier';
import { bindTokenService, JWT_STRATEGY } from '../sessions/jwt.strategy';
import { accessTokenOf } from '../sessions/session-cookies';
import { declaredAccess } from './route-access.check';
import { AppException } from '../../common/errors';

/** What jsonwebtoken and passport-jwt call a bad token (as opposed to a failure of ours). */
const TOKEN_ERROR_NAMES = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError', 'Error']);

type RouteClass = ReturnType<ExecutionContext['getClass']>;
type RouteHandler = ReturnType<ExecutionContext['getHandler']>;

/**
 * Global authentication: enforces the access each route declares (`@Public()`, or
 * `@Authenticated()` / `@RequirePermissions()`), and denies by default. A token already verified
 * by this process skips passport and its ES256 check; every request, cached or not, then
 * proves its session is live with one Redis read.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    private readonly verifier: AccessTokenVerifier,
  ) {
    super();
  }

  /** Route metadata never changes after boot: read it once per (class, handler), not per request. */
  private readonly publicRoutes = new WeakMap<RouteClass, WeakMap<RouteHandler, boolean>>();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context.getClass(), context.getHandler())) return true;
    const request = context.getArgByIndex<FastifyRequest & { user?: unknown }>(0);
    const found = accessTokenOf(request);
    if (!found) throw new AppException('UNAUTHORIZED');
    let claims = this.tokens.cached(found.token);
    if (!claims) {
      bindTokenService(request, this.tokens);
      await super.canActivate(context);
      claims = request.user as AccessTokenClaims;
      this.tokens.remember(found.token, claims);
    }
    await this.verifier.principalFor(request, claims, found.via);
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

  override handleRequest<T>(error: unknown, user: T, info: unknown): T {
    if (error instanceof AppException) throw error;
    if (info instanceof AppException) throw info;
    if (error || !user) {
      const name = (info as { name?: string } | undefined)?.name;
      if (name === 'TokenExpiredError') throw new AppException('TOKEN_EXPIRED');
      // An infrastructure failure (PostgreSQL down while loading keys) is not a bad token: 503, never open.
      if (error instanceof Error || (info instanceof Error && !TOKEN_ERROR_NAMES.has(info.name))) {
        throw error instanceof Error ? error : info;
      }
      throw new AppException('UNAUTHORIZED');
    }
    return user;
  }
}
