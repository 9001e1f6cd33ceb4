import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestContext } from '../../common/http/request-context';
import type { AuditService } from '../audit/audit.service';
import type { DeliveryChannel } from './delivery-destination';
import { DeliveryMessage, type DeliveryStatus } from './delivery-message.entity';

/**
 * Moves a message that is still `from` to a final status, dropping its encrypted payload, and
 * audits `delivery.failed` when it failed. Inside the caller's transaction, so the row and its
 * event commit together. False when the message had moved on already (nothing written).
 */
export async function finishMessage(
  tx: EntityManager,
  audit: AuditService,
  message: { id: string; tenantId: string; userId: string | null; channel: DeliveryChannel },
  change: { from: DeliveryStatus; to: Extract<DeliveryStatus, 'failed' | 'expired' | 'suppressed'>; reason: string },
  ctx?: Partial<RequestContext>,
): Promise<boolean> {
  const updated = await tx.nativeUpdate(
    DeliveryMessage,
    { id: message.id, status: change.from },
    { status: change.to, payload: null, lastError: change.reason.slice(0, 500) },
  );
  if (updated === 0) return false;
  if (change.to === 'failed') {
    await audit.record(
      {
        type: 'delivery.failed',
        outcome: 'failure',
        tenantId: message.tenantId,
        subjectId: message.userId,
        data: { messageId: message.id, channel: message.channel, reason: change.reason.slice(0, 200) },
      },
      ctx,
      tx,
    );
  }
  return true;
}
