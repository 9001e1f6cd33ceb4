import type { AuditEventType } from '../audit/audit.constants';
import type { AuditInput } from '../audit/audit.service';

/** What every audited event about one session says: whose, which session, from which device. */
export function sessionEvent(
  type: AuditEventType,
  session: { id: string; tenantId: string; userId: string; deviceId: string | null },
  data?: Record<string, unknown>,
): AuditInput {
  return {
    type,
    outcome: 'success',
    tenantId: session.tenantId,
    subjectId: session.userId,
    sessionId: session.id,
    deviceId: session.deviceId,
    ...(data ? { data } : {}),
  };
}
