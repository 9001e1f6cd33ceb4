import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

export type AuditOutcome = 'success' | 'failure';

/**
 * Append-only: a database trigger (see migrations) refuses UPDATE, and DELETE outside the
 * retention job.
 */
@Entity({ tableName: 'audit_event' })
@Index({ name: 'audit_event_subject_idx', properties: ['tenantId', 'subjectId', 'createdAt', 'id'] })
@Index({ name: 'audit_event_tenant_created_idx', properties: ['tenantId', 'createdAt', 'id'] })
@Index({ name: 'audit_event_type_idx', properties: ['tenantId', 'type', 'createdAt'] })
// The admin user view's impossible-travel flag: rare events, found without scanning a user's refreshes.
@Index({
  name: 'audit_event_impossible_travel_idx',
  expression:
    'create index "audit_event_impossible_travel_idx" on "audit_event" ("tenant_id", "subject_id", "created_at") where "type" = \'login.impossible_travel\'',
})
// Platform-wide admin queries (no tenant) and the retention job's "older than" scan.
@Index({ name: 'audit_event_created_idx', properties: ['createdAt', 'id'] })
export class AuditEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'string', length: 64 })
  type!: string;

  @Property({ type: 'string', length: 8 })
  outcome!: AuditOutcome;

  /** Who acted: the user themselves, an admin, or null for the system / an anonymous caller. */
  @Property({ type: 'uuid', nullable: true })
  actorId: string | null = null;

  /** Whose account the event is about. */
  @Property({ type: 'uuid', nullable: true })
  subjectId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  sessionId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  deviceId: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'string', length: 128, nullable: true })
  requestId: string | null = null;

  /** Where the request came from (GEOIP_DB_PATH) when the event was written; null when unknown. */
  @Property({ type: 'string', length: 2, nullable: true })
  country: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  city: string | null = null;

  /** The app that made the request (X-Client-Name), when it said. */
  @Property({ type: 'string', length: 64, nullable: true })
  service: string | null = null;

  /** Never a secret: codes, tokens and passwords stay out of here. */
  @Property({ type: 'json', nullable: true })
  data: Record<string, unknown> | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
