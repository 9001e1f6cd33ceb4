import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../common/http/request-context';
import { decodeCursor, olderThan, toPage } from '../../common/http/cursor';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';
import type { AuditEventType } from './audit.constants';

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

/**
 * The audit leaf: every module may call it. `record` writes at once (not at a later flush):
 * pass the EntityManager of the caller's transaction to make the event commit or roll back
 * with the action it describes, so an event is never lost when the action succeeded.
 */
@Injectable()
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  async record(input: AuditInput, ctx?: Partial<RequestContext>, em: EntityManager = this.em): Promise<void> {
    await em.insert(AuditEvent, {
      tenantId: input.tenantId,
      type: input.type,
      outcome: input.outcome,
      actorId: input.actorId ?? input.subjectId ?? null,
      subjectId: input.subjectId ?? null,
      sessionId: input.sessionId ?? null,
      deviceId: input.deviceId ?? null,
      ip: ctx?.ip ?? null,
      userAgent: ctx?.userAgent ?? null,
      requestId: ctx?.requestId ?? null,
      data: input.data ?? null,
      createdAt: new Date(),
    });
  }

  async historyOf(tenantId: string, userId: string, limit: number, cursor?: string) {
    const position = decodeCursor(cursor);
    const rows = await this.em.find(
      AuditEvent,
      { tenantId, subjectId: userId, ...olderThan(position) },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: limit + 1 },
    );
    return toPage(rows, limit, (event) => ({
      type: event.type,
      at: event.createdAt.toISOString(),
      ip: event.ip,
      userAgent: event.userAgent,
      deviceId: event.deviceId,
      outcome: event.outcome,
    }));
  }
}
