import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../common/http/request-context';
import type { AuditEvent } from './audit-event.entity';
import type { AuditInput } from './audit.service';

/**
 * The head of an audit_event INSERT, for a statement that must write its event in the same
 * round trip (a data-modifying CTE): follow it with `values (...)` from AuditService.insertStatement,
 * or with a `select` of the columns in this order.
 */
export const INSERT_AUDIT_EVENT = `insert into "audit_event" ("id", "tenant_id", "type", "outcome", "actor_id",
  "subject_id", "session_id", "device_id", "ip", "user_agent", "request_id", "data", "created_at", "country", "city",
  "service")`;

/** Where a request came from, as an audit row keeps it (AuditService.originOf). */
export interface AuditOrigin {
  country: string | null;
  city: string | null;
  service: string | null;
}

const NOWHERE: AuditOrigin = { country: null, city: null, service: null };

/** An AuditEvent as plain data (the entity has no behaviour to construct). */
export type AuditRow = Pick<AuditEvent, keyof AuditEvent>;

/** Every column of one event; the one place that decides what an input means for the row. */
export function auditRowOf(
  input: AuditInput,
  ctx: Partial<RequestContext> | undefined,
  createdAt: Date,
  origin: AuditOrigin = NOWHERE,
): AuditRow {
  return {
    // em.insert takes plain data: the entity's property initialisers do not run, so the id is ours to give.
    id: randomUUID(),
    tenantId: input.tenantId,
    type: input.type,
    outcome: input.outcome,
    // Absent: the subject acted themselves; an explicit null: the system or an operator (CLI).
    actorId: input.actorId !== undefined ? input.actorId : (input.subjectId ?? null),
    subjectId: input.subjectId ?? null,
    sessionId: input.sessionId ?? null,
    deviceId: input.deviceId ?? null,
    ip: ctx?.ip ?? null,
    userAgent: ctx?.userAgent ?? null,
    requestId: ctx?.requestId ?? null,
    data: input.data ?? null,
    createdAt,
    ...origin,
  };
}

/** The row as INSERT_AUDIT_EVENT's values, in its column order. */
export function auditRowValues(row: AuditRow): unknown[] {
  return [
    row.id,
    row.tenantId,
    row.type,
    row.outcome,
    row.actorId,
    row.subjectId,
    row.sessionId,
    row.deviceId,
    row.ip,
    row.userAgent,
    row.requestId,
    row.data === null ? null : JSON.stringify(row.data),
    row.createdAt,
    row.country,
    row.city,
    row.service,
  ];
}
