import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppException } from '../../../common/errors';
import { decodeCursor, olderThan, toPage } from '../../../common/http/cursor';
import type { RequestContext } from '../../../common/http/request-context';
import { AuditService } from '../../audit/audit.service';
import { OidcClient, OidcConsent } from '../oidc.entities';
import type {
  CreatedOidcClientDto,
  CreateOidcClientDto,
  OidcClientDto,
  OidcGrantType,
  UpdateOidcClientDto,
} from './oidc-client.dto';

/** What a client id can be (ours are 22 base64url characters); anything else names no client, without a query. */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const DEFAULT_GRANT_TYPES: OidcGrantType[] = ['authorization_code', 'refresh_token'];
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A row of oidc_client as PostgreSQL answers it. */
interface ClientRow {
  id: string;
  tenant_id: string;
  client_id: string;
  name: string;
  secret_hash: string | null;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  public: boolean;
  first_party: boolean;
  backchannel_logout_uri: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

/** Who changed a client, for the audit. */
export interface ClientActor {
  actorId?: string | null;
  ctx?: Partial<RequestContext>;
}

/** The SHA-256 a client secret is kept as: secrets are 256 random bits, so no slow hash is needed. */
export function clientSecretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * The registry of OIDC clients, per tenant: the admin API, the CLI and the provider's client
 * lookup all go through it. A secret is returned once, at creation or rotation, and kept hashed.
 */
@Injectable()
export class OidcClients {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async create(tenantId: string, input: CreateOidcClientDto, actor: ClientActor = {}): Promise<CreatedOidcClientDto> {
    const isPublic = input.public ?? false;
    const grantTypes = input.grantTypes ?? DEFAULT_GRANT_TYPES;
    const client = Object.assign(new OidcClient(), {
      tenantId,
      clientId: randomBytes(16).toString('base64url'),
      name: input.name,
      redirectUris: input.redirectUris,
      postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
      grantTypes,
      public: isPublic,
      firstParty: input.firstParty ?? false,
      backchannelLogoutUri: input.backchannelLogoutUri ?? null,
    });
    assertConsistent(client);
    const secret = isPublic ? undefined : newSecret();
    client.secretHash = secret ? clientSecretHash(secret) : null;
    await this.em.fork().transactional(async (em) => {
      await em.insert(OidcClient, client);
      await this.audit.record(
        clientEvent('oidc.client_created', client, actor, { name: client.name, firstParty: client.firstParty }),
        actor.ctx,
        em,
      );
    });
    return { ...viewOf(client), ...(secret ? { clientSecret: secret } : {}) };
  }

  async list(tenantId: string, page: { limit: number; cursor?: string }) {
    const rows = await this.em
      .fork()
      .find(
        OidcClient,
        { tenantId, ...olderThan(decodeCursor(page.cursor)) },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.limit + 1 },
      );
    return toPage(rows, page.limit, viewOf);
  }

  async view(tenantId: string, clientId: string): Promise<OidcClientDto> {
    return viewOf(await this.row(this.em.fork(), tenantId, clientId));
  }

  /**
   * The provider's lookup, on every token request: the client of this tenant, or null (another
   * tenant's client is unknown here). Read each time, never cached: a rotated secret or a removed
   * client stops working at once in every process. A raw primary-key read (no ORM on this path).
   */
  async find(tenantId: string, clientId: string): Promise<OidcClient | null> {
    if (!CLIENT_ID_PATTERN.test(clientId)) return null;
    const [row] = await this.em.execute<ClientRow[]>(
      `select * from "oidc_client" where "tenant_id" = ? and "client_id" = ?`,
      [tenantId, clientId],
    );
    // Mapped by hand, not em.map: that would need a request context (token requests, event listeners).
    return row
      ? Object.assign(new OidcClient(), {
          id: row.id,
          tenantId: row.tenant_id,
          clientId: row.client_id,
          name: row.name,
          secretHash: row.secret_hash,
          redirectUris: row.redirect_uris,
          postLogoutRedirectUris: row.post_logout_redirect_uris,
          grantTypes: row.grant_types,
          public: row.public,
          firstParty: row.first_party,
          backchannelLogoutUri: row.backchannel_logout_uri,
          createdAt: new Date(row.created_at),
          updatedAt: new Date(row.updated_at),
        })
      : null;
  }

  async update(
    tenantId: string,
    clientId: string,
    input: UpdateOidcClientDto,
    actor: ClientActor = {},
  ): Promise<OidcClientDto> {
    return this.em.fork().transactional(async (em) => {
      const client = await this.row(em, tenantId, clientId);
      const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
      Object.assign(client, given, { updatedAt: new Date() });
      assertConsistent(client);
      await this.audit.record(
        clientEvent('oidc.client_updated', client, actor, { fields: Object.keys(given) }),
        actor.ctx,
        em,
      );
      return viewOf(client);
    });
  }

  async rotateSecret(tenantId: string, clientId: string, actor: ClientActor = {}): Promise<{ clientSecret: string }> {
    const secret = newSecret();
    await this.em.fork().transactional(async (em) => {
      const client = await this.row(em, tenantId, clientId);
      if (client.public) {
        throw new AppException('VALIDATION_FAILED', [{ field: 'clientId', message: 'a public client has no secret' }]);
      }
      client.secretHash = clientSecretHash(secret);
      client.updatedAt = new Date();
      await this.audit.record(clientEvent('oidc.client_secret_rotated', client, actor), actor.ctx, em);
    });
    return { clientSecret: secret };
  }

  /** The client, its grants, refresh tokens and consents go; access tokens die with it (the provider finds no client). */
  async remove(tenantId: string, clientId: string, actor: ClientActor = {}): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const client = await this.row(em, tenantId, clientId);
      await em.execute(`delete from "oidc_record" where "tenant_id" = ? and "payload"->>'clientId' = ?`, [
        tenantId,
        clientId,
      ]);
      await em.nativeDelete(OidcConsent, { tenantId, clientId });
      await em.nativeDelete(OidcClient, { id: client.id });
      await this.audit.record(clientEvent('oidc.client_deleted', client, actor), actor.ctx, em);
    });
  }

  /** A purged account: its consents and its grants and refresh tokens (long revoked with its sessions). */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.nativeDelete(OidcConsent, { tenantId, userId });
    await em.execute(`delete from "oidc_record" where "tenant_id" = ? and "payload"->>'accountId' = ?`, [
      tenantId,
      userId,
    ]);
  }

  private async row(em: EntityManager, tenantId: string, clientId: string): Promise<OidcClient> {
    const client = CLIENT_ID_PATTERN.test(clientId) ? await em.findOne(OidcClient, { tenantId, clientId }) : null;
    if (!client) throw new AppException('NOT_FOUND');
    return client;
  }
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function clientEvent(
  type: 'oidc.client_created' | 'oidc.client_updated' | 'oidc.client_secret_rotated' | 'oidc.client_deleted',
  client: OidcClient,
  actor: ClientActor,
  data: Record<string, unknown> = {},
) {
  return {
    type,
    outcome: 'success' as const,
    tenantId: client.tenantId,
    actorId: actor.actorId ?? null,
    data: { clientId: client.clientId, ...data },
  };
}

export function viewOf(client: OidcClient): OidcClientDto {
  return {
    clientId: client.clientId,
    name: client.name,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes as OidcGrantType[],
    public: client.public,
    firstParty: client.firstParty,
    backchannelLogoutUri: client.backchannelLogoutUri,
    createdAt: client.createdAt.toISOString(),
  };
}

/** The rules oidc-provider would apply later, said now as VALIDATION_FAILED with the field. */
function assertConsistent(client: OidcClient): void {
  const fail = (field: string, message: string) => new AppException('VALIDATION_FAILED', [{ field, message }]);
  if (client.public && client.grantTypes.includes('client_credentials')) {
    throw fail('grantTypes', 'a public client cannot use client_credentials');
  }
  if (client.grantTypes.includes('refresh_token') && !client.grantTypes.includes('authorization_code')) {
    throw fail('grantTypes', 'refresh_token comes with authorization_code');
  }
  if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0) {
    throw fail('redirectUris', 'at least one is needed for authorization_code');
  }
  client.redirectUris.forEach((uri) => assertCallbackUri('redirectUris', uri, fail));
  client.postLogoutRedirectUris.forEach((uri) => assertCallbackUri('postLogoutRedirectUris', uri, fail));
  if (client.backchannelLogoutUri !== null)
    assertCallbackUri('backchannelLogoutUri', client.backchannelLogoutUri, fail);
}

function assertCallbackUri(field: string, value: string, fail: (field: string, message: string) => AppException): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail(field, `${value.slice(0, 100)} is not an absolute URL`);
  }
  if (url.hash || value.includes('#')) throw fail(field, 'must not carry a fragment');
  if (url.username || url.password) throw fail(field, 'must not carry credentials');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return;
  throw fail(field, 'must be https (http only on localhost)');
}
