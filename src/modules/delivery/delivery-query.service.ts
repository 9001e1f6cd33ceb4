import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { decodeCursor, olderThan, toPage } from '../../common/http/cursor';
import type { DeliveryChannel } from './delivery-destination';
import { DeliveryMessage, type DeliveryStatus } from './delivery-message.entity';
import { DeliverySuppression } from './delivery-suppression.entity';

/** Admin scope: a tenant, or undefined for a platform admin who sees every tenant. */
export interface DeliveryScope {
  tenantId?: string;
}

export interface ListMessagesFilters {
  status?: DeliveryStatus;
  channel?: DeliveryChannel;
  limit: number;
  cursor?: string;
}

/** The read side of delivery for admins: messages and suppressions, newest first, keyset-paginated. */
@Injectable()
export class DeliveryQueryService {
  constructor(private readonly em: EntityManager) {}

  async listMessages(scope: DeliveryScope, filters: ListMessagesFilters) {
    const position = decodeCursor(filters.cursor);
    const where: Record<string, unknown> = { ...olderThan(position) };
    if (scope.tenantId !== undefined) where.tenantId = scope.tenantId;
    if (filters.status) where.status = filters.status;
    if (filters.channel) where.channel = filters.channel;
    const rows = await this.em.find(DeliveryMessage, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: filters.limit + 1,
    });
    return toPage(rows, filters.limit, (row) => ({
      id: row.id,
      channel: row.channel,
      purpose: row.purpose,
      status: row.status,
      attempts: row.attempts,
      destination: row.destinationMasked,
      lastError: row.lastError,
      providerMessageId: row.providerMessageId,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  async listSuppressions(scope: DeliveryScope, filters: { limit: number; cursor?: string }) {
    const position = decodeCursor(filters.cursor);
    const where: Record<string, unknown> = { ...olderThan(position), liftedAt: null };
    if (scope.tenantId !== undefined) where.tenantId = scope.tenantId;
    const rows = await this.em.find(DeliverySuppression, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: filters.limit + 1,
    });
    return toPage(rows, filters.limit, (row) => ({
      id: row.id,
      channel: row.channel,
      destination: row.destinationMasked,
      reason: row.reason,
      createdAt: row.createdAt.toISOString(),
    }));
  }
}
