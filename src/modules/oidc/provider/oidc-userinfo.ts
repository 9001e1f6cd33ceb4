import type { JWTPayload } from 'jose';

import type { Provider } from 'oidc-provider';
import type { SigningKeysService } from '../../sessions/signing-keys.service';
import type { OidcAccounts } from './oidc-accounts.service';
import { releasedBy } from './oidc-claims';

type Middleware = Parameters<Provider['use']>[0];

/**
 * The userinfo endpoint (`{issuer}/me`) for our access tokens. oidc-provider's own userinfo only
 * takes opaque, audience-less tokens; ours are RFC 9068 JWTs (API.md), so this answers instead:
 * the JWT is verified against the service's keys, its grant must still be live (it ends with its
 * SecureAuth session) and its account active, and the claims are those its scopes release.
 */
export function answerUserinfo(
  provider: Provider,
  issuer: string,
  keys: SigningKeysService,
  accounts: OidcAccounts,
  tenantId: string,
): Middleware {
  const refuse = (ctx: Parameters<Middleware>[0], status: number, error: string, description: string) => {
    ctx.status = status;
    ctx.set('cache-control', 'no-store');
    ctx.set('www-authenticate', `Bearer realm="${issuer}", error="${error}", error_description="${description}"`);
    ctx.body = { error, error_description: description };
  };
  return async (ctx, next) => {
    if (ctx.path !== '/me') {
      await next();
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'POST') return refuse(ctx, 405, 'invalid_request', 'GET or POST');
    const [scheme, token] = (ctx.get('authorization') || '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      return refuse(ctx, 401, 'invalid_token', 'no access token (Authorization: Bearer)');
    }
    let payload: JWTPayload;
    try {
      // Loaded with the provider (never at boot); the keys are read per request: a rotation applies at once.
      const { createLocalJWKSet, jwtVerify } = await import('jose');
      const jwks = createLocalJWKSet({ keys: keys.publishedKeys() });
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: issuer,
        algorithms: ['ES256'],
        typ: 'at+jwt',
      }));
    } catch {
      return refuse(ctx, 401, 'invalid_token', 'invalid access token');
    }
    // JWT access tokens are not stored: their grant (grant_id, see the registry's jwt customizer)
    // must still be live, which it is not once its SecureAuth session ended.
    const grantId = typeof payload.grant_id === 'string' ? payload.grant_id : undefined;
    if (!grantId || typeof payload.sub !== 'string') {
      return refuse(ctx, 401, 'invalid_token', 'not a token for a user');
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    const scopes = new Set(scope.split(' '));
    if (!scopes.has('openid')) return refuse(ctx, 403, 'insufficient_scope', 'the token lacks the openid scope');
    const account = await accounts.find(tenantId, payload.sub, { grantId });
    if (!account) return refuse(ctx, 401, 'invalid_token', 'the session of this token ended');
    const claims = await account.claims('userinfo', scope, {}, []);
    ctx.set('cache-control', 'no-store');
    ctx.body = releasedBy(scopes, claims);
  };
}
