import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Provider, errors, interactionPolicy, type Configuration } from 'oidc-provider';
import { appConfig, oidcConfig } from '../../../config';
import { SigningKeysService } from '../../sessions/signing-keys.service';
import { OidcAccounts } from './oidc-accounts.service';
import { OidcStorage } from './oidc-storage';
import { silentSessionOf } from './web-session';
import { OidcGrants } from './oidc-grants.service';
import { OidcLogout } from './oidc-logout';
import { OIDC_CLAIMS, OIDC_SCOPES } from './oidc-claims';
import { answerUserinfo } from './oidc-userinfo';

/** A tenant's provider, built for the signing key it was given. */
interface Built {
  kid: string;
  provider: Provider;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The issuer of a tenant (API.md): one provider per tenant, all under /oidc. */
export function issuerOf(baseUrl: string, tenantId: string): string {
  return `${baseUrl}/oidc/${tenantId}`;
}

export function interactionPath(tenantId: string, uid: string): string {
  return `/oidc/${tenantId}/interaction/${uid}${tenantId === 'default' ? '' : `?tenant=${tenantId}`}`;
}

/**
 * One oidc-provider per tenant, built on first use and rebuilt when the service's signing key
 * rotates (the provider signs with the key it was given; JWKS serves every trusted key).
 */
@Injectable()
export class OidcProviders {
  private readonly built = new Map<string, Promise<Built>>();
  private readonly logger = new Logger(OidcProviders.name);

  constructor(
    private readonly storage: OidcStorage,
    private readonly keys: SigningKeysService,
    private readonly accounts: OidcAccounts,
    private readonly grants: OidcGrants,
    private readonly logout: OidcLogout,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(oidcConfig.KEY) private readonly config: ConfigType<typeof oidcConfig>,
  ) {}

  /** The service's public origin: issuers must not depend on the Host a request names. */
  get baseUrl(): string {
    return this.app.publicBaseUrl ?? `http://localhost:${this.app.port}`;
  }

  issuerOf(tenantId: string): string {
    return issuerOf(this.baseUrl, tenantId);
  }

  async providerFor(tenantId: string): Promise<Provider> {
    return (await this.current(tenantId)).provider;
  }

  async handlerFor(tenantId: string): Promise<Built['handle']> {
    return (await this.current(tenantId)).handle;
  }

  private async current(tenantId: string): Promise<Built> {
    const { kid } = await this.keys.activeKey();
    const cached = this.built.get(tenantId);
    if (cached) {
      const built = await cached;
      if (built.kid === kid) return built;
    }
    const next = this.build(tenantId).catch((error: unknown) => {
      this.built.delete(tenantId);
      throw error;
    });
    this.built.set(tenantId, next);
    return next;
  }

  private async build(tenantId: string): Promise<Built> {
    const active = await this.keys.activeKey();
    const issuer = issuerOf(this.baseUrl, tenantId);
    const privateJwk = { ...active.privateKey.export({ format: 'jwk' }), kid: active.kid, alg: 'ES256', use: 'sig' };
    const provider = new Provider(issuer, this.configuration(tenantId, issuer, privateJwk));
    // Behind TRUST_PROXY the scheme and host of endpoint URLs come from X-Forwarded-*.
    provider.proxy = this.app.trustProxy !== false;
    // Secrets are stored as SHA-256: compare the presented one's hash, in constant time.
    this.storage.clients.teach(provider);
    this.grants.listen(provider, tenantId);
    // The provider answers a bug with a bare 500 "server_error": the cause goes to the log.
    provider.on('server_error', (_ctx: unknown, error: Error) =>
      this.logger.error({ msg: 'oidc provider error', tenantId, error: error.stack ?? String(error) }),
    );
    provider.use(async (ctx, next) => {
      // Every key whose tokens may still be alive, not only the one this provider signs with.
      if (ctx.path !== '/jwks') {
        await next();
        return;
      }
      ctx.set('cache-control', 'public, max-age=300');
      ctx.body = { keys: this.keys.publishedKeys() };
    });
    provider.use(this.logout.middleware(provider, tenantId));
    provider.use(answerUserinfo(provider, issuer, this.keys, this.accounts, tenantId));
    const callback = provider.callback();
    return {
      kid: active.kid,
      provider,
      handle: (req, res) => Promise.resolve(callback(req, res)).then(() => undefined),
    };
  }

  private configuration(tenantId: string, issuer: string, privateJwk: object): Configuration {
    const config = this.config;
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
      adapter: (name: string) => this.storage.adapterFor(tenantId, name),
      jwks: { keys: [privateJwk] },
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
      loadExistingGrant: (ctx) => this.grants.existingGrant(ctx, tenantId),
      findAccount: (ctx, sub, token) => this.accounts.find(tenantId, sub, token),
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
}

const escapeHtml = (value: unknown) =>
  (typeof value === 'string' ? value : '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The provider's own pages (logout confirmation, errors it cannot send back to the client): plain, no external resource. */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}
