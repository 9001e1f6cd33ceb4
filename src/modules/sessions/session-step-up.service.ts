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
 * same access token. Whoever calls it has checked the proof.
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

  async record(auth: AuthPrincipal, method: string, ctx: RequestContext): Promise<{ authTime: number }> {
    const now = new Date(this.clock.nowSeconds() * 1000);
    const live = await this.em.fork().transactional(async (em) => {
      if (!(await this.repository.setAuthTime(em, auth.tenantId, auth.sessionId, now))) return false;
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
      return true;
    });
    // Revoked between the guard's check and here: the proof changes nothing.
    if (!live) throw new AppException('UNAUTHORIZED');
    const authTime = Math.floor(now.getTime() / 1000);
    await this.store.updateAuthTime(auth.sessionId, authTime);
    return { authTime };
  }
}
