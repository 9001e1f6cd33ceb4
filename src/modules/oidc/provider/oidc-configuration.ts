import type { Account, Adapter, Configuration, Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { OidcConfig } from '../../../config';
import { OIDC_CLAIMS, OIDC_SCOPES } from './oidc-claims';
import { silentSessionOf } from './web-session';

/** Where a tenant's interactions happen: the hosted pages' interaction page (the tenant kept as the pages' flow). */
export function interactionPath(tenantId: string, uid: string): string {
  return `/oidc/${tenantId}/interaction/${uid}${tenantId === 'default' ? '' : `?tenant=${tenantId}`}`;
}

/** The oidc-provider module, loaded when first needed (OidcProviders). */
export type OidcLibrary = typeof import('oidc-provider');

/** What one tenant's provider is built from. */
export interface ProviderInput {
  tenantId: string;
  issuer: string;
  /** The service's active signing key, as a private JWK. */
  privateJwk: object;
  config: OidcConfig;
  adapter: (model: string) => Adapter;
  loadExistingGrant: (ctx: KoaContextWithOIDC) => Promise<Grant | undefined>;
  findAccount: (sub: string, token?: { grantId?: string }) => Promise<Account | undefined>;
}

/**
 * oidc-provider's configuration for one tenant's issuer (API.md "OpenID Connect provider"): code
 * with PKCE S256, rotating refresh tokens, client credentials; ES256 only; JWT access tokens for
 * the issuer's audience; interactions on the hosted pages; our storage, accounts and grants.
 */
export function providerConfiguration(oidc: OidcLibrary, input: ProviderInput): Configuration {
  const { tenantId, issuer, config } = input;
  const { errors, interactionPolicy } = oidc;
  const secure = issuer.startsWith('https:');
  const policy = interactionPolicy.base();
  // Every authorization asks the hosted pages: the SecureAuth session (its liveness, auth time,
  // factors) decides, not the provider's own cookie. The resume that carries the pages' answer
  // passes, and so does prompt=none on the browser's live session that signed in before.
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check('hosted_pages', 'the hosted pages confirm the sign-in', 'login_required', (ctx) =>
        ctx.oidc.result || silentSessionOf(ctx, tenantId)
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT,
      ),
      0,
    );
  return {
    adapter: input.adapter,
    jwks: { keys: [input.privateJwk] },
    cookies: {
      keys: config.cookieKeys,
      long: { signed: true, secure, sameSite: 'lax', httpOnly: true },
      short: { signed: true, secure, sameSite: 'lax', httpOnly: true },
      names: { session: '_oidc_session', interaction: '_oidc_interaction', resume: '_oidc_resume' },
    },
    scopes: OIDC_SCOPES,
    claims: OIDC_CLAIMS,
    acrValues: ['aal1', 'aal2'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
      authorizationSigningAlgValues: ['ES256'],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = page(
            'Sign out',
            `<p>Sign out of SecureAuth and of the applications you signed in to with it?</p>${form}` +
              '<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button> ' +
              '<button type="submit" form="op.logoutForm">No, only this application</button>',
          );
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = page('Signed out', '<p role="status">You are signed out.</p>');
        },
      },
      // Every access token is an RFC 9068 JWT for this issuer's audience; our userinfo takes it.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => issuer,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== issuer) throw new errors.InvalidTarget();
          return {
            scope: OIDC_SCOPES.join(' '),
            audience: issuer,
            accessTokenTTL: config.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => interactionPath(tenantId, interaction.uid),
    },
    formats: {
      customizers: {
        // The grant a JWT access token belongs to: our userinfo refuses it once the grant ended.
        jwt: (_ctx, token, jwt) => {
          if ('grantId' in token && token.grantId) jwt.payload.grant_id = token.grantId;
        },
      },
    },
    rotateRefreshToken: true,
    // Every client allowed the refresh grant gets refresh tokens (not only with offline_access, which
    // OIDC ties to prompt=consent): they end with the SecureAuth session anyway, so none is "offline".
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    loadExistingGrant: input.loadExistingGrant,
    findAccount: (_ctx, sub, token) => input.findAccount(sub, token),
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      ClientCredentials: config.accessTokenTtlSeconds,
      AuthorizationCode: config.authorizationCodeTtlSeconds,
      IdToken: config.idTokenTtlSeconds,
      Interaction: config.interactionTtlSeconds,
      Session: config.refreshTokenTtlSeconds,
      Grant: config.refreshTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Sign-in error',
        `<p role="alert"><code>${escapeHtml(out.error)}</code>: ${escapeHtml(out.error_description)}</p>`,
      );
    },
  };
}

const escapeHtml = (value: unknown) =>
  (typeof value === 'string' ? value : '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The provider's own pages (logout confirmation, errors it cannot send back to the client): plain, no external resource. */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}
