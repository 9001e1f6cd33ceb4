import { BigIntType, type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/** A WebAuthn credential. Credential ids are unique across the whole service (409 on a second registration). */
@Entity({ tableName: 'passkey' })
@Unique({ name: 'passkey_credential_id_unique', properties: ['credentialId'] })
@Index({ name: 'passkey_tenant_user_idx', properties: ['tenantId', 'userId'] })
export class Passkey {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  /** base64url, as the browser reports it. */
  @Property({ type: 'string', length: 1024 })
  credentialId!: string;

  /** COSE public key. */
  @Property({ type: 'blob' })
  publicKey!: Buffer;

  @Property({ type: new BigIntType('number'), default: 0 })
  counter: number & Opt = 0;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  transports: string[] & Opt = [];

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 16 })
  deviceType!: string;

  @Property({ type: 'boolean', default: false })
  isBackedUp: boolean & Opt = false;

  /**
   * Whether the authenticator verified its user (PIN, biometrics) when the credential was
   * registered. Only such a credential signs in alone; without, it is a second factor only.
   * False for rows from before it was recorded: nobody knows what their registration proved.
   */
  @Property({ type: 'boolean', default: false })
  hasUserVerification: boolean & Opt = false;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;
}
