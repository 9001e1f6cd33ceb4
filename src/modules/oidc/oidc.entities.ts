import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/** An application that signs users in through a tenant's issuer. The secret is kept as its SHA-256 only. */
@Entity({ tableName: 'oidc_client' })
@Unique({ name: 'oidc_client_client_id_unique', properties: ['clientId'] })
@Index({ name: 'oidc_client_tenant_idx', properties: ['tenantId', 'createdAt'] })
export class OidcClient {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  /** Public identifier, random: a client id names no tenant and guesses no other. */
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  /** SHA-256 (hex) of the secret; null for a public client. */
  @Property({ type: 'string', length: 64, nullable: true, hidden: true })
  secretHash: string | null = null;

  @Property({ type: 'text[]' })
  redirectUris!: string[];

  @Property({ type: 'text[]' })
  postLogoutRedirectUris: string[] & Opt = [];

  @Property({ type: 'text[]' })
  grantTypes!: string[];

  @Property({ type: 'boolean' })
  public!: boolean;

  /** First-party clients skip the consent page. */
  @Property({ type: 'boolean' })
  firstParty!: boolean;

  @Property({ type: 'text', nullable: true })
  backchannelLogoutUri: string | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}

/**
 * The provider's long-lived records (grants and refresh tokens) as its adapter stores them: the
 * payload as oidc-provider wrote it, plus the columns its lookups need. A grant also names the
 * SecureAuth session it was given in: revoking that session ends the grant.
 */
@Entity({ tableName: 'oidc_record' })
@Index({ name: 'oidc_record_grant_idx', properties: ['grantId'] })
@Index({ name: 'oidc_record_session_idx', properties: ['sessionId'] })
@Index({ name: 'oidc_record_expires_idx', properties: ['expiresAt'] })
export class OidcRecord {
  @PrimaryKey({ type: 'string', length: 32 })
  kind!: string;

  @PrimaryKey({ type: 'string', length: 128 })
  id!: string;

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Property({ type: 'string', length: 128, nullable: true })
  grantId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  sessionId: string | null = null;

  /** The `sid` of the provider's browser session: what a back-channel logout token names. */
  @Property({ type: 'string', length: 128, nullable: true })
  sid: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  consumedAt: Date | null = null;
}

/** Scopes a user allowed a third-party client: asked once per user, client and scopes. */
@Entity({ tableName: 'oidc_consent' })
export class OidcConsent {
  @PrimaryKey({ type: 'string', length: 64 })
  tenantId!: string;

  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @PrimaryKey({ type: 'string', length: 64 })
  clientId!: string;

  @Property({ type: 'text[]' })
  scopes!: string[];

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
