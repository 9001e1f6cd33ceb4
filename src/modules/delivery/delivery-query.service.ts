import { EntityManager, type FilterQuery } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { findPage } from '../../common/http/cursor';
import type { DeliveryChannel } from './delivery-destination';
import { DeliveryMessage, type DeliveryStatus } from './delivery-message.entity';
import { DeliverySuppression } from './delivery-suppression.entity';

/** Admin scope: a tenant, or undefined for a platform admin who sees every tenant. */
export interface DeliveryScope {
  tenantId?: string;
}

export interface ListMessagesFilters {
  /** One user's messages (their data export); admins list a whole tenant. */
  userId?: string;
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
    const where: FilterQuery<DeliveryMessage> = {
      ...(scope.tenantId !== undefined ? { tenantId: scope.tenantId } : {}),
      ...(filters.userId ? { userId: filters.userId } : {}),
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.channel ? { channel: filters.channel } : {}),
    };
    return findPage(this.em, DeliveryMessage, where, filters, (row) => ({
      id: row.id,
      channel: row.channel,
      purpose: row.purpose,
      status: row.status,
      attempts: row.attempts,
      destination: row.destinationMasked,
      lastError: row.lastError,
      providerMessageId: row.providerMessageId,
      fallbackMessageId: row.fallbackMessageId,
      fallbackOf: row.fallbackOf,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  async listSuppressions(scope: DeliveryScope, filters: { limit: number; cursor?: string }) {
    const where: FilterQuery<DeliverySuppression> = {
      liftedAt: null,
      ...(scope.tenantId !== undefined ? { tenantId: scope.tenantId } : {}),
    };
    return findPage(this.em, DeliverySuppression, where, filters, (row) => ({
      id: row.id,
      channel: row.channel,
      destination: row.destinationMasked,
      reason: row.reason,
      createdAt: row.createdAt.toISOString(),
    }));
  }
}
