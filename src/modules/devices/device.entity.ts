import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/** One record per (user, client device id or, without one, a User-Agent + platform fingerprint). */
@Entity({ tableName: 'device' })
@Unique({ name: 'device_user_key_unique', properties: ['tenantId', 'userId', 'deviceKey'] })
@Index({ name: 'device_user_idx', properties: ['tenantId', 'userId', 'lastSeenAt'] })
export class Device {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  /** SHA-256 of the client's device id or of the fingerprint; never shown. */
  @Property({ type: 'string', length: 64, hidden: true })
  deviceKey!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 50, nullable: true })
  platform: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Property({ type: 'string', length: 50, nullable: true })
  appVersion: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  firstSeenAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  lastSeenAt: Date & Opt = new Date();

  @Property({ type: 'string', length: 64, nullable: true })
  lastIp: string | null = null;

  /** ISO 3166-1 alpha-2 of the last sign-in's address (GEOIP_DB_PATH); null when unknown. */
  @Property({ type: 'string', length: 2, nullable: true })
  lastCountry: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  lastCity: string | null = null;

  @Property({ type: 'boolean', default: false })
  isTrusted: boolean & Opt = false;
}
