import { BigIntType, type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Ciphertext } from '../../../common/crypto';

/** One row per user who ever started enrolling a TOTP or email factor. */
@Entity({ tableName: 'user_mfa' })
export class UserMfa {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  /** AES-256-GCM, bound to the user id; a pending secret until `totpConfirmedAt` is set. */
  @Property({ type: 'text', nullable: true })
  totpSecret: Ciphertext | null = null;

  @Property({ type: 'datetime', nullable: true })
  totpConfirmedAt: Date | null = null;

  /** Highest TOTP time step accepted; a step at or below it is a replay. */
  @Property({ type: new BigIntType('number'), nullable: true })
  totpLastStep: number | null = null;

  @Property({ type: 'datetime', nullable: true })
  emailEnabledAt: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
