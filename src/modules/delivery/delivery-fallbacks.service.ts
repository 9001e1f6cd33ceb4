import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { deliveryConfig } from '../../config/delivery.config';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import { CryptoService, type Ciphertext } from '../../common/crypto/crypto.service';
import { MetricsService } from '../../common/metrics/metrics.service';
import type { DeliveryChannel } from './delivery-destination';
import { DeliveryService, fallbackContext, type MessagePayload } from './delivery.service';
import { textablePhone } from './phone-destination.policy';
import { SmsBudget } from './sms-budget';

interface FallbackRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  purpose: string;
  fallback_channel: DeliveryChannel;
  fallback_payload: Ciphertext;
  expires_at: Date | string;
}

/**
 * Takes the message's fallback exactly once: whichever of the bounce and the timer comes first
 * (the row lock orders them), and never after the message was accepted. A message still waiting
 * for a retry stops there: the fallback replaces it.
 */
const TAKE_FALLBACK_SQL = `
with "taken" as (
  select "id", "tenant_id", "user_id", "purpose", "fallback_channel", "fallback_payload", "expires_at"
    from "delivery_message"
   where "id" = ? and "fallback_payload" is not null and "status" not in ('sent', 'delivered')
     for update)
update "delivery_message" as "m"
   set "fallback_payload" = null,
       "fallback_message_id" = case when "taken"."expires_at" > now() then ?::uuid end,
       "status" = case when "m"."status" = 'queued' then 'failed' else "m"."status" end,
       "payload" = case when "m"."status" = 'queued' then null else "m"."payload" end,
       "last_error" = coalesce("m"."last_error", ?), "updated_at" = now()
  from "taken"
 where "m"."id" = "taken"."id"
returning "taken".*`;

/**
 * Channel fallback (API.md tenant setting `channelOrder`): a message refused as undeliverable
 * (WhatsApp 131026) or not accepted within DELIVERY_FALLBACK_AFTER_MS goes out once more by the
 * next channel, with the same content finished for it (the same code) and the same expiry. Both
 * messages stay in the delivery records, the second naming the first (`fallbackOf`).
 */
@Injectable()
export class DeliveryFallbacks {
  private readonly logger = new Logger(DeliveryFallbacks.name);

  constructor(
    private readonly em: EntityManager,
    private readonly crypto: CryptoService,
    private readonly delivery: DeliveryService,
    private readonly budget: SmsBudget,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
  ) {}

  /**
   * Fallbacks whose timer job was lost (the process died between the row and the job): due for
   * longer than `overdueMs`, taken now by the workers' sweep. The partial index keeps it cheap.
   */
  async fallBackOverdue(overdueMs: number, limit = 100): Promise<number> {
    const rows = await this.em.getConnection().execute<Array<{ id: string }>>(
      `select "id" from "delivery_message"
          where "fallback_payload" is not null and "status" not in ('sent', 'delivered') and "created_at" < ?
          order by "created_at" limit ?`,
      [new Date(this.clock.nowMs() - this.config.fallbackAfterMs - overdueMs), limit],
    );
    for (const { id } of rows) await this.fallBack(id, 'not accepted in time');
    return rows.length;
  }

  /** Sends the fallback of `messageId` if it has one still due; answers the new message's id. */
  async fallBack(messageId: string, reason: string): Promise<string | null> {
    const fallbackId = randomUUID();
    const [row] = await this.em
      .getConnection()
      .execute<FallbackRow[]>(TAKE_FALLBACK_SQL, [messageId, fallbackId, `fell back: ${reason}`.slice(0, 500)]);
    if (!row) return null;
    // Past its lifetime the fallback is only dropped (its content with it), never sent late.
    const expiresAt = new Date(row.expires_at);
    if (expiresAt.getTime() <= this.clock.nowMs()) return null;
    const payload = JSON.parse(
      this.crypto.decryptString(row.fallback_payload, fallbackContext(messageId)),
    ) as MessagePayload;
    const phone = row.fallback_channel === 'email' ? null : textablePhone(payload.to);
    try {
      if (phone) await this.budget.spend(phone.callingCode);
    } catch {
      this.logger.warn({ msg: 'channel fallback refused by the SMS budget', messageId });
      this.metrics.deliveryMessages.labels(row.fallback_channel, 'fallback_refused').inc();
      return null;
    }
    const { to, ...content } = payload;
    await this.delivery.enqueue({
      id: fallbackId,
      tenantId: row.tenant_id,
      userId: row.user_id,
      destination: { channel: row.fallback_channel, address: to },
      purpose: row.purpose,
      content,
      ttlSeconds: Math.ceil((expiresAt.getTime() - this.clock.nowMs()) / 1000),
      fallbackOf: { id: messageId, expiresAt },
      audit: {
        type: 'otp.sent',
        data: { purpose: row.purpose, channel: row.fallback_channel, fallbackOf: messageId, reason },
      },
    });
    this.metrics.deliveryMessages.labels(row.fallback_channel, 'fallback').inc();
    return fallbackId;
  }
}
