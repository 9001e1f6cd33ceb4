import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/**
 * The durable record of a sign-in. The refresh token itself is never stored: only the
 * SHA-256 of the current one; rotated ones move to `refresh_token` so a replay is recognised.
 * For the reuse grace window the current token is also kept sealed under the previous one
 * (refresh-successor.ts), never in clear.
 */
@Entity({ tableName: 'session' })
@Index({ name: 'session_user_idx', properties: ['tenantId', 'userId', 'createdAt'] })
@Index({ name: 'session_device_idx', properties: ['deviceId'] })
export class Session {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'uuid', nullable: true })
  deviceId: string | null = null;

  @Unique({ name: 'session_token_hash_unique' })
  @Property({ type: 'string', length: 64, hidden: true })
  tokenHash!: string;

  @Property({ type: 'text[]' })
  amr!: string[];

  @Property({ type: 'smallint' })
  aal!: 1 | 2;

  @Property({ type: 'datetime' })
  authTime!: Date;

  @Property({ type: 'string', length: 64, nullable: true })
  ip: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;

  /** Where the sign-in came from (GEOIP_DB_PATH): ISO 3166-1 alpha-2 and city; null when unknown. */
  @Property({ type: 'string', length: 2, nullable: true })
  country: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  city: string | null = null;

  /** The app that asked for the sign-in (X-Client-Name, or an OIDC client's id). */
  @Property({ type: 'string', length: 64, nullable: true })
  service: string | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  lastSeenAt: Date & Opt = new Date();

  /** Absolute end (REFRESH_TOKEN_TTL); a refresh never moves it. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Sliding end (SESSION_IDLE_TTL); each refresh moves it, capped by expiresAt. */
  @Property({ type: 'datetime' })
  idleExpiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  revokeReason: string | null = null;

  /** SHA-256 of the refresh token the current one replaced: its replay within the grace window gets the current one. */
  @Property({ type: 'string', length: 64, nullable: true, hidden: true })
  previousTokenHash: string | null = null;

  /** When the current refresh token replaced the previous one; the grace window runs from here. */
  @Property({ type: 'datetime', nullable: true })
  rotatedAt: Date | null = null;

  /**
   * The current refresh token sealed under the previous one; null with a grace window of 0
   * and once revoked. Lazy: nothing but the grace lookup ever reads it.
   */
  @Property({ type: 'blob', nullable: true, hidden: true, lazy: true })
  sealedSuccessor: Buffer | null = null;
}

/** A refresh token that was rotated away: presenting it again is a replay. */
@Entity({ tableName: 'refresh_token' })
@Index({ name: 'refresh_token_session_idx', properties: ['sessionId'] })
export class RefreshToken {
  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @Property({ type: 'uuid' })
  sessionId!: string;

  @Property({ type: 'datetime' })
  rotatedAt!: Date;
}
