import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/** A single-use recovery code, stored as an HMAC (the codes carry 50 bits of entropy; no slow hash needed). */
@Entity({ tableName: 'recovery_code' })
@Unique({ name: 'recovery_code_user_hash_unique', properties: ['userId', 'codeHash'] })
@Index({ name: 'recovery_code_tenant_user_idx', properties: ['tenantId', 'userId'] })
export class RecoveryCode {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 64 })
  codeHash!: string;

  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
