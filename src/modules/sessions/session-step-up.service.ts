import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { LiveSessionStore } from './live-session.store';
import { SessionRepository } from './session.repository';

/**
 * Re-authentication on the current session: its auth_time becomes now, in PostgreSQL and in the
 * live record every request reads, so step-up routes (@RequireRecentAuth) pass at once with the
 * same access token; the session's amr gains the proof's (RFC 8176) value when new. Whoever calls
 * it has checked the proof.
 */
@Injectable()
export class SessionStepUp {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SessionRepository,
    private readonly store: LiveSessionStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** `method` is what the audit names (password, totp…), `amr` its RFC 8176 value (pwd, otp, hwk). */
  async record(
    auth: AuthPrincipal,
    proof: { method: string; amr: string },
    ctx: RequestContext,
  ): Promise<{ authTime: number }> {
    const { method } = proof;
    const now = new Date(this.clock.nowSeconds() * 1000);
    const amr = await this.em.fork().transactional(async (em) => {
      const updated = await this.repository.setAuthTime(em, auth.tenantId, auth.sessionId, now, proof.amr);
      if (!updated) return null;
      await this.audit.record(
        {
          type: 'session.reauthenticated',
          outcome: 'success',
          tenantId: auth.tenantId,
          subjectId: auth.userId,
          sessionId: auth.sessionId,
          data: { method },
        },
        ctx,
        em,
      );
      return updated;
    });
    // Revoked between the guard's check and here: the proof changes nothing.
    if (!amr) throw new AppException('UNAUTHORIZED');
    const authTime = Math.floor(now.getTime() / 1000);
    await this.store.updateAuthTime(auth.sessionId, authTime, amr);
    return { authTime };
  }
}
