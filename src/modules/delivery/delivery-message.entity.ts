import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import type { Ciphertext } from '../../common/crypto/crypto.service';
import type { DeliveryChannel } from './delivery-destination';

export const DELIVERY_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'failed',
  'suppressed',
  'expired',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** States after which the worker never sends again; the encrypted payload is gone by then. */
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['delivered', 'bounced', 'failed', 'suppressed', 'expired'];

/**
 * One outgoing message and its state machine. The address itself is only inside the
 * encrypted payload (needed to send); the row keeps a masked form for admins and a keyed
 * hash to match suppressions and webhooks.
 */
@Entity({ tableName: 'delivery_message' })
@Index({ name: 'delivery_message_tenant_created_idx', properties: ['tenantId', 'createdAt', 'id'] })
@Index({ name: 'delivery_message_created_idx', properties: ['createdAt', 'id'] })
// The sweep for channel fallbacks whose timer was lost: only rows still holding a fallback.
@Index({
  name: 'delivery_message_fallback_due_idx',
  expression:
    'create index "delivery_message_fallback_due_idx" on "delivery_message" ("created_at") where "fallback_payload" is not null',
})
export class DeliveryMessage {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  @Property({ type: 'string', length: 16 })
  channel!: DeliveryChannel;

  /** Why it was sent, in its author's words (a code's purpose, a notice's kind): a label for admins. */
  @Property({ type: 'string', length: 32 })
  purpose!: string;

  @Property({ type: 'string', length: 64 })
  destinationMasked!: string;

  @Property({ type: 'string', length: 64 })
  destinationHash!: string;

  @Property({ type: 'string', length: 16, default: 'queued' })
  status: DeliveryStatus & Opt = 'queued';

  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  @Property({ type: 'string', length: 500, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'string', length: 128, nullable: true })
  providerMessageId: string | null = null;

  /** AES-256-GCM of the finished message and its address, bound to this row's id; null once final. */
  @Property({ type: 'text', nullable: true, hidden: true })
  payload: Ciphertext | null = null;

  /**
   * Channel fallback (tenant `channelOrder`): the channel that takes over when this message is
   * refused as undeliverable or not accepted in time, and its finished content, encrypted like
   * `payload`, until the fallback goes out or is no longer needed (this message was sent).
   */
  @Property({ type: 'string', length: 16, nullable: true })
  fallbackChannel: DeliveryChannel | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  fallbackPayload: Ciphertext | null = null;

  /** The message that went out instead of this one, once it did. */
  @Property({ type: 'uuid', nullable: true })
  fallbackMessageId: string | null = null;

  /** On a fallback message: the message it stands in for. */
  @Property({ type: 'uuid', nullable: true })
  fallbackOf: string | null = null;

  /** How long sending still makes sense (a code's lifetime, how late a notice is worth reading); past it, it is not sent. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  sentAt: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
