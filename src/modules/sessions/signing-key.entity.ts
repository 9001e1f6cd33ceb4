import { type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { JsonWebKey } from 'node:crypto';
import type { Ciphertext } from '../../common/crypto/crypto.service';

export const SIGNING_ALGORITHM = 'ES256';

/**
 * An access-token signing key pair. The private key is encrypted at rest; a key with
 * `retiredAt` set no longer signs but keeps verifying until its last tokens expire.
 */
@Entity({ tableName: 'signing_key' })
// At most one active key per algorithm, so two processes starting at once cannot both create one.
@Unique({
  name: 'signing_key_active_unique',
  expression: 'create unique index "signing_key_active_unique" on "signing_key" ("alg") where "retired_at" is null',
})
export class SigningKey {
  @PrimaryKey({ type: 'string', length: 64 })
  kid!: string;

  @Property({ type: 'string', length: 16 })
  alg!: typeof SIGNING_ALGORITHM;

  @Property({ type: 'json' })
  publicJwk!: JsonWebKey;

  /** PKCS#8 PEM, AES-256-GCM encrypted with the kid as additional data. */
  @Property({ type: 'text', hidden: true })
  privateKey!: Ciphertext;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  retiredAt: Date | null = null;
}
