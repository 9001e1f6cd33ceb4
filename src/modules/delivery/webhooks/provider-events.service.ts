import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { DeliveryMessage, FINAL_STATUSES, type DeliveryStatus } from '../delivery-message.entity';
import { SuppressionListService } from '../suppression-list.service';

export type ProviderEventType = 'delivered' | 'bounce' | 'complaint' | 'failed';

export interface ProviderEvent {
  messageId: string;
  type: ProviderEventType;
  /** For bounces: false for a soft (temporary) bounce; absent counts as permanent. */
  permanent?: boolean;
  reason?: string;
  provider: string;
}

/** What providers report about a message after it left (webhooks), applied to its row. */
@Injectable()
export class ProviderEventsService {
  constructor(
    private readonly em: EntityManager,
    private readonly suppressions: SuppressionListService,
    private readonly audit: AuditService,
  ) {}

  /**
   * A provider's report about a message (webhook). Status only moves forward; a repeated
   * event finds nothing left to change. A permanent bounce or a complaint suppresses the
   * destination.
   */
  async apply(event: ProviderEvent): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const message = await em.findOne(DeliveryMessage, { id: event.messageId });
      if (!message) return;
      const reason = (event.reason ?? event.type).slice(0, 200);
      const next = nextStatus(message.status, event.type);
      let changed = false;
      if (next) {
        const update: Partial<DeliveryMessage> = { status: next };
        if (FINAL_STATUSES.includes(next)) update.payload = null;
        if (next !== 'delivered') update.lastError = `${event.provider}: ${reason}`.slice(0, 500);
        // Conditional on the status we read, so two concurrent events cannot both apply.
        changed = (await em.nativeUpdate(DeliveryMessage, { id: message.id, status: message.status }, update)) > 0;
      }
      const suppress = event.type === 'complaint' || (event.type === 'bounce' && event.permanent !== false);
      const suppressed = suppress ? await this.suppressions.suppress(em, message, `${event.type}: ${reason}`) : false;
      if (!changed && !suppressed) return;
      const type =
        event.type === 'delivered'
          ? 'delivery.delivered'
          : event.type === 'failed'
            ? 'delivery.failed'
            : 'delivery.bounced';
      await this.audit.record(
        {
          type,
          outcome: event.type === 'delivered' ? 'success' : 'failure',
          tenantId: message.tenantId,
          subjectId: message.userId,
          data: {
            messageId: message.id,
            channel: message.channel,
            event: event.type,
            provider: event.provider,
            reason,
          },
        },
        undefined,
        em,
      );
    });
  }
}

/** Forward-only transitions for provider events; undefined = leave the status alone. */
export function nextStatus(current: DeliveryStatus, event: ProviderEventType): DeliveryStatus | undefined {
  const open = current === 'queued' || current === 'sending' || current === 'sent';
  switch (event) {
    case 'delivered':
      return open ? 'delivered' : undefined;
    case 'bounce':
      return open || current === 'delivered' ? 'bounced' : undefined;
    case 'complaint':
      return open ? 'delivered' : undefined;
    case 'failed':
      return open ? 'failed' : undefined;
  }
}
