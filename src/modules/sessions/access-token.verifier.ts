import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { AppException } from '../../common/errors';
import { appConfig } from '../../config/app.config';
import { DEFAULT_TENANT_ID } from '../tenants/tenant.entity';
import type { AccessTokenClaims } from './access-token';
import { AccessTokenService } from './access-token.service';
import { JwtStrategy } from './jwt.strategy';
import { allowedOriginsFor, CROSS_SITE_REFUSED, isCrossSiteRequestAllowed } from './csrf';
import { type LiveSession, LiveSessionStore } from './live-session.store';
import { accessTokenOf } from './session-cookies';

/** What authentication read from Redis for one request, kept for the handler (GET /me). */
export interface LiveState {
  live: LiveSession;
  /** The cached user view as stored (JSON), or null when it is not cached. */
  userView: string | null;
}

/**
 * A symbol-keyed property on the request rather than a WeakMap: no ephemeron bookkeeping on
 * the hot path, and nothing outside this file can read or forge it.
 */
const LIVE_STATE = Symbol('liveState');
type WithLiveState = FastifyRequest & { [LIVE_STATE]?: LiveState };

/**
 * Turns a request into its caller: an access token verified once by passport-jwt (then
 * remembered by this process), for this tenant, whose session is still live in Redis. Used by
 * the global guard and by raw Fastify routes (Bull Board).
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly strategy: JwtStrategy,
    private readonly store: LiveSessionStore,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthPrincipal> {
    const found = accessTokenOf(request);
    if (!found) throw new AppException('UNAUTHORIZED');
    let claims = this.tokens.cached(found.token);
    if (!claims) {
      claims = await this.strategy.verify(request);
      this.tokens.remember(found.token, claims);
    }
    return this.principalFor(request, claims, found.via);
  }

  /** Checks that need the request and the live state; the token itself is already verified. */
  private async principalFor(
    request: FastifyRequest,
    claims: AccessTokenClaims,
    via: AuthPrincipal['via'],
  ): Promise<AuthPrincipal> {
    if (claims.tid !== this.tenantOf(request)) throw new AppException('UNAUTHORIZED');
    if (
      via === 'cookie' &&
      !isCrossSiteRequestAllowed(request.method, request.headers, allowedOriginsFor(request, this.app))
    ) {
      throw AppException.saying('FORBIDDEN', CROSS_SITE_REFUSED);
    }
    // One round trip for the live record and the user view: `sub` is known before the read.
    const [live, userView] = await this.store.getWithUserView(claims.sid, claims.sub);
    if (!live || live.userId !== claims.sub || live.tenantId !== claims.tid) throw new AppException('UNAUTHORIZED');
    (request as WithLiveState)[LIVE_STATE] = { live, userView };
    const principal: AuthPrincipal = {
      userId: live.userId,
      tenantId: live.tenantId,
      sessionId: live.sessionId,
      // Roles come from the live record, not the token: a demotion applies on the next request.
      roles: live.roles,
      amr: live.amr,
      aal: live.aal,
      authTime: live.authTime,
      via,
    };
    request.auth = principal;
    return principal;
  }

  /** What was read while authenticating this request (saves GET /me its own round trips). */
  liveStateOf(request: FastifyRequest): LiveState | undefined {
    return (request as WithLiveState)[LIVE_STATE];
  }

  /** TenantGuard resolves /api routes; elsewhere (raw routes) the header or the default applies. */
  private tenantOf(request: FastifyRequest): string {
    if (request.tenantId) return request.tenantId;
    const header = request.headers['x-tenant-id'];
    return typeof header === 'string' && header.length > 0 ? header : DEFAULT_TENANT_ID;
  }
}
