import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { appConfig, oidcConfig } from '../../../config';
import { SigningKeysService } from '../../sessions/signing-keys.service';
import { OidcAccounts } from './oidc-accounts.service';
import { OidcStorage } from './oidc-storage';
import { OidcGrants } from './oidc-grants.service';
import { OidcLogout } from './oidc-logout';
import { providerConfiguration, type OidcLibrary } from './oidc-configuration';
import { answerUserinfo } from './oidc-userinfo';

/** Tenants whose provider stays built in a process. */
const MAX_PROVIDERS = 200;

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

/**
 * One oidc-provider per tenant, built on first use and rebuilt when the service's signing key
 * rotates (the provider signs with the key it was given; JWKS serves every trusted key).
 */
@Injectable()
export class OidcProviders {
  private readonly built = new Map<string, Promise<Built>>();
  /**
   * oidc-provider (and its Koa and jose) loaded on the first /oidc request, not at boot: ~45 MB
   * of resident memory that a deployment without OIDC clients never needs.
   */
  private library?: Promise<OidcLibrary>;
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
      if (built.kid === kid) {
        // Most recently used last: the first entry is the one to forget.
        this.built.delete(tenantId);
        this.built.set(tenantId, cached);
        return built;
      }
    }
    const next = this.build(tenantId).catch((error: unknown) => {
      this.built.delete(tenantId);
      throw error;
    });
    this.built.delete(tenantId);
    this.built.set(tenantId, next);
    // A provider holds only configuration (its state is in Redis and PostgreSQL): with many tenants,
    // the least recently used ones are dropped and built again when next asked.
    if (this.built.size > MAX_PROVIDERS) this.built.delete(this.built.keys().next().value!);
    return next;
  }

  private async build(tenantId: string): Promise<Built> {
    const active = await this.keys.activeKey();
    const issuer = issuerOf(this.baseUrl, tenantId);
    const privateJwk = { ...active.privateKey.export({ format: 'jwk' }), kid: active.kid, alg: 'ES256', use: 'sig' };
    const oidc = await (this.library ??= import('oidc-provider'));
    const provider = new oidc.Provider(
      issuer,
      providerConfiguration(oidc, {
        tenantId,
        issuer,
        privateJwk,
        config: this.config,
        adapter: (name) => this.storage.adapterFor(tenantId, name),
        loadExistingGrant: (ctx) => this.grants.existingGrant(ctx, tenantId),
        findAccount: (sub, token) => this.accounts.find(tenantId, sub, token),
      }),
    );
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
}
