import type { AuthPrincipal } from '../../common/auth/auth-principal';
import type { AuditInput } from '../audit/audit.service';

/** The owner changed their own account: which fields (never their values) go to the audit. */
export function userUpdated(auth: AuthPrincipal, fields: string[]): AuditInput {
  return {
    type: 'user.updated',
    outcome: 'success',
    tenantId: auth.tenantId,
    subjectId: auth.userId,
    sessionId: auth.sessionId,
    data: { fields },
  };
}
