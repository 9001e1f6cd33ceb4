import type { FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../common/http/request-context';
import { findPage } from '../../common/http/cursor';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';
import { GeoipService } from '../../common/geoip/geoip.service';
import { auditRowOf, auditRowValues, INSERT_AUDIT_EVENT, type AuditOrigin } from './audit-row';
import type { AuditEventType } from './audit.constants';
import { DomainEvents } from './domain-events';

export interface AuditInput {
  type: AuditEventType;
  outcome: AuditOutcome;
  tenantId: string;
  actorId?: string | null;
  subjectId?: string | null;
  sessionId?: string | null;
  deviceId?: string | null;
  data?: Record<string, unknown>;
}

/** Which tenant an admin query may read: one tenant, or every tenant (platform admins). */
export interface AuditScope {
  tenantId?: string;
}

export interface AuditQuery {
  userId?: string;
  type?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/**
 * The audit leaf: every module may call it. `record` writes at once (not at a later flush):
 * pass the EntityManager of the caller's transaction to make the event commit or roll back
 * with the action it describes, so an event is never lost when the action succeeded. Its
 * listeners (DomainEvents) hear of it once it committed.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly events: DomainEvents,
    private readonly geoip: GeoipService,
  ) {}

  async record(input: AuditInput, ctx?: Partial<RequestContext>, em: EntityManager = this.em): Promise<void> {
    await em.insert(AuditEvent, auditRowOf(input, ctx, new Date(), this.originOf(ctx)));
    await this.events.written({ event: input, ctx }, em);
  }

  /**
   * Tells the listeners of an event that a single statement wrote itself (insertStatement, or a
   * data-modifying CTE with INSERT_AUDIT_EVENT): they hear it like any recorded event, once the
   * statement's transaction committed. Call it after the statement, with the same `em`.
   */
  async announce(input: AuditInput, ctx?: Partial<RequestContext>, em: EntityManager = this.em): Promise<void> {
    await this.events.written({ event: input, ctx }, em);
  }

  /**
   * The row `record` would write, as an INSERT for a caller that must write it inside its own
   * single statement (a data-modifying CTE: one round trip, one commit with the action).
   * Then `announce` the event.
   */
  insertStatement(
    input: AuditInput,
    ctx: Partial<RequestContext> | undefined,
    createdAt: Date,
  ): { sql: string; params: unknown[] } {
    return {
      sql: `${INSERT_AUDIT_EVENT} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)`,
      params: auditRowValues(auditRowOf(input, ctx, createdAt, this.originOf(ctx))),
    };
  }

  /**
   * Where a request came from, for its events: the place of its address (GEOIP_DB_PATH) and the
   * app it named (X-Client-Name). Also for statements that write their own event (INSERT_AUDIT_EVENT).
   */
  originOf(ctx: Partial<RequestContext> | undefined): AuditOrigin {
    const place = this.geoip.lookup(ctx?.ip);
    return {
      country: place?.countryCode ?? null,
      city: place?.city?.slice(0, 100) ?? null,
      service: ctx?.clientName ?? null,
    };
  }

  async historyOf(tenantId: string, userId: string, limit: number, cursor?: string) {
    return findPage(this.em, AuditEvent, { tenantId, subjectId: userId }, { limit, cursor }, (event) => ({
      type: event.type,
      at: event.createdAt.toISOString(),
      ip: event.ip,
      userAgent: event.userAgent,
      deviceId: event.deviceId,
      outcome: event.outcome,
      country: event.country,
      city: event.city,
      service: event.service,
    }));
  }

  /** The user's latest event of a type since a time, or null (indexed for login.impossible_travel). */
  async latestOf(tenantId: string, subjectId: string, type: AuditEventType, since: Date): Promise<AuditEvent | null> {
    return this.em.findOne(
      AuditEvent,
      { tenantId, subjectId, type, createdAt: { $gte: since } },
      { orderBy: { createdAt: 'desc' } },
    );
  }

  /** The admin view: every field, newest first, keyset-paginated (index: see the admin migration). */
  async query(scope: AuditScope, query: AuditQuery) {
    const createdAt: Record<string, Date> = {};
    if (query.from) createdAt.$gte = query.from;
    if (query.to) createdAt.$lt = query.to;
    const where: FilterQuery<AuditEvent> = {
      ...(scope.tenantId !== undefined ? { tenantId: scope.tenantId } : {}),
      ...(query.userId ? { subjectId: query.userId } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(Object.keys(createdAt).length ? { createdAt } : {}),
    };
    // findPage's olderThan bounds createdAt so the index scan starts at the cursor (bench/audit-query.ts: 270 ms -> 1 ms).
    return findPage(this.em, AuditEvent, where, query, (event) => ({
      id: event.id,
      tenantId: event.tenantId,
      type: event.type,
      outcome: event.outcome,
      actorId: event.actorId,
      subjectId: event.subjectId,
      sessionId: event.sessionId,
      deviceId: event.deviceId,
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: event.requestId,
      country: event.country,
      city: event.city,
      service: event.service,
      data: event.data,
      createdAt: event.createdAt.toISOString(),
    }));
  }
}
