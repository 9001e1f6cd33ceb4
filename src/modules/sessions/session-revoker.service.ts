import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { LiveSessionStore } from './live-session.store';
import { type RevokedSession, type SessionFilter, SessionRepository } from './session.repository';
import { UUID_PATTERN } from './session-token';
import { sessionEvent } from './session-event';

/**
 * Which sessions to end. Every filter names a tenant, or one session by id: a single session
 * (`id`), a user's (`userId`, optionally all but `exceptId`), a device's (`deviceId`), or
 * the whole tenant's.
 */
export type RevokeFilter = (SessionFilter & { tenantId: string }) | (SessionFilter & { id: string });

/**
 * The one way sessions end: the row is revoked (one conditional UPDATE, audited in the same
 * transaction), then the live record is deleted, so every process refuses it on its next request.
 */
@Injectable()
export class SessionRevoker {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SessionRepository,
    private readonly store: LiveSessionStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** How many sessions this call ended. A malformed session id matches nothing. */
  async revoke(filter: RevokeFilter, reason: string, ctx?: RequestContext): Promise<number> {
    if (filter.id !== undefined) {
      if (!UUID_PATTERN.test(filter.id)) return 0;
      filter = { ...filter, id: filter.id.toLowerCase() };
    }
    const where = filter;
    const revoked = await this.em.fork().transactional((em) => this.revokeIn(em, where, reason, ctx));
    await this.store.remove(revoked.map((session) => session.id));
    return revoked.length;
  }

  /** Inside the caller's transaction; the caller removes the live records once it committed. */
  async revokeIn(
    em: EntityManager,
    where: SessionFilter,
    reason: string,
    ctx?: RequestContext,
  ): Promise<RevokedSession[]> {
    const rows = await this.repository.revokeWhere(em, where, reason, this.clock.now());
    for (const row of rows) {
      await this.audit.record(sessionEvent('session.revoked', row, { reason }), ctx, em);
    }
    return rows;
  }

  /** A deleted account's purge: its sessions' rows, long revoked, go with their refresh tokens. */
  eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    return this.repository.eraseUser(em, tenantId, userId);
  }

  /** Ends the live records of sessions whose revocation committed. */
  forgetLive(sessionIds: string[]): Promise<void> {
    return this.store.remove(sessionIds);
  }
}
