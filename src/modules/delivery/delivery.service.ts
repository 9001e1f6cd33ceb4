import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bullmq';
import { CryptoService } from '../../common/crypto/crypto.service';
import { Clock } from '../../common/clock/clock';
import type { RequestContext } from '../../common/http/request-context';
import { deliveryConfig } from '../../config/delivery.config';
import type { AuditEventType } from '../audit/audit.constants';
import { type AuditInput, AuditService } from '../audit/audit.service';
import { finishMessage } from './finish-message';
import { type DeliveryDestination, maskDestination } from './delivery-destination';
import {
  DELIVERY_BACKOFF_TYPE,
  DELIVERY_QUEUE,
  FALLBACK_CHECK_JOB,
  SEND_MESSAGE_JOB,
  type SendMessageJobData,
} from './delivery.constants';
import { DestinationHasher } from './destination-hasher';
import { DeliveryMessage } from './delivery-message.entity';
import type { MessageContent } from './message-content';
import type { OutgoingMessage } from './transports/delivery-transport';

/** A finished message for one destination, as its author hands it over. */
export interface OutboundMessage {
  /** The row's id when the author must know it first (a fallback named on its original); else a new one. */
  id?: string;
  tenantId: string;
  userId: string | null;
  destination: DeliveryDestination;
  /** Why it is sent, in the author's words (kept on the row for admins); at most 32 characters. */
  purpose: string;
  content: MessageContent;
  /** How long sending it still makes sense; past it the worker marks it `expired` instead. */
  ttlSeconds: number;
  /**
   * Channel fallback: the same message, finished for another channel, sent instead if this one is
   * refused as undeliverable or not accepted within DELIVERY_FALLBACK_AFTER_MS (DeliveryFallbacks).
   */
  fallback?: { channel: DeliveryDestination['channel']; content: MessageContent };
  /** On a fallback message: the message it stands in for, whose expiry it keeps. */
  fallbackOf?: { id: string; expiresAt: Date };
  /** The author's event (e.g. `otp.sent`), written with the row in one statement; `messageId` is added to its data. */
  audit: {
    type: AuditEventType;
    deviceId?: string | null;
    ctx?: Partial<RequestContext>;
    data: Record<string, unknown>;
  };
}

/** The encrypted part of a message row: everything needed to send it again after a crash. */
export type MessagePayload = Omit<OutgoingMessage, 'id' | 'channel'>;

/** The fallback's payload is bound to the message it belongs to, under a context of its own. */
export function fallbackContext(messageId: string): string {
  return `${messageId}:fallback`;
}

function fallbackPayloadOf(message: OutboundMessage): MessagePayload {
  return { to: message.destination.address, ...message.fallback!.content };
}

const INSERT_MESSAGE_SQL = `
insert into "delivery_message"
  ("id", "tenant_id", "user_id", "channel", "purpose", "destination_masked", "destination_hash",
   "status", "attempts", "payload", "expires_at", "created_at", "updated_at",
   "fallback_channel", "fallback_payload", "fallback_of")
values (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The outbox: records a message, queues a job that only names it, and queues again the rows
 * whose job was lost. The row is the state machine (DeliveryProcessor claims it); suppressions
 * are SuppressionListService's, provider events ProviderEventsService's, admin reads
 * DeliveryQueryService's.
 */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly em: EntityManager,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<SendMessageJobData>,
    private readonly crypto: CryptoService,
    private readonly hasher: DestinationHasher,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
  ) {}

  /**
   * Records the message (content encrypted, bound to its id) and its author's audit event in
   * one statement, then queues a job that only names it. jobId = message id, so enqueueing the
   * same message twice is a no-op.
   */
  async enqueue(message: OutboundMessage): Promise<{ messageId: string }> {
    const { destination, audit } = message;
    const messageId = message.id ?? randomUUID();
    const payload: MessagePayload = { to: destination.address, ...message.content };
    const now = new Date(this.clock.nowMs());
    const audited: AuditInput = {
      type: audit.type,
      outcome: 'success',
      tenantId: message.tenantId,
      subjectId: message.userId,
      deviceId: audit.deviceId,
      data: { ...audit.data, messageId },
    };
    const event = this.audit.insertStatement(audited, audit.ctx, now);
    // One round trip and one commit: a data-modifying CTE always runs, and both rows commit or neither does.
    await this.em
      .getConnection()
      .execute(
        `with "message" as (${INSERT_MESSAGE_SQL}) ${event.sql}`,
        [
          messageId,
          message.tenantId,
          message.userId,
          destination.channel,
          message.purpose,
          maskDestination(destination.channel, destination.address),
          this.hasher.hash(destination),
          this.crypto.encrypt(JSON.stringify(payload), messageId),
          message.fallbackOf?.expiresAt ?? new Date(now.getTime() + message.ttlSeconds * 1000),
          now,
          now,
          message.fallback?.channel ?? null,
          message.fallback
            ? this.crypto.encrypt(JSON.stringify(fallbackPayloadOf(message)), fallbackContext(messageId))
            : null,
          message.fallbackOf?.id ?? null,
          ...event.params,
        ],
        'run',
      );
    await this.audit.announce(audited, audit.ctx, this.em);
    try {
      await this.queueSend(messageId);
      if (message.fallback) await this.queueFallbackCheck(messageId);
    } catch (error) {
      await this.failUnqueued(message, messageId);
      throw error;
    }
    return { messageId };
  }

  /**
   * Queues again the messages whose row committed but whose job never reached the queue (the
   * API died in between), oldest first. A row that still has its job (waiting, delayed after a
   * failure, running) is untouched: jobId = message id makes the add a no-op. A message past
   * its lifetime is then marked `expired` by the processor, not sent.
   */
  /**
   * A deleted account's purge: the records of what was sent to it. A message still queued then
   * finds no row and is dropped by the processor; suppressions stay (they are about an
   * address, whoever holds it next).
   */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.nativeDelete(DeliveryMessage, { tenantId, userId });
  }

  async requeueStranded(olderThanMs: number, limit = 500): Promise<number> {
    const rows = await this.em
      .getConnection()
      .execute<Array<{ id: string }>>(
        `select "id" from "delivery_message" where "status" = 'queued' and "created_at" < ? order by "created_at" limit ?`,
        [new Date(this.clock.nowMs() - olderThanMs), limit],
      );
    for (const { id } of rows) await this.queueSend(id);
    return rows.length;
  }

  /** The moment the fallback goes if the message was not accepted by then (a job's own id: added once). */
  private async queueFallbackCheck(messageId: string): Promise<void> {
    await this.queue.add(
      FALLBACK_CHECK_JOB,
      { messageId },
      {
        jobId: `${messageId}-fallback`,
        delay: this.config.fallbackAfterMs,
        attempts: 3,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600, count: 5000 },
      },
    );
  }

  private async queueSend(messageId: string): Promise<void> {
    await this.queue.add(
      SEND_MESSAGE_JOB,
      { messageId },
      {
        jobId: messageId,
        attempts: this.config.attempts,
        backoff: { type: DELIVERY_BACKOFF_TYPE },
        // The row is the record of a sent message; keeping finished jobs in Redis only costs trimming work.
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600, count: 5000 },
      },
    );
  }

  /** Nothing will ever send it: say so in the row (and the audit trail) instead of leaving it "queued". */
  private async failUnqueued(message: OutboundMessage, messageId: string): Promise<void> {
    const unqueued = {
      id: messageId,
      tenantId: message.tenantId,
      userId: message.userId,
      channel: message.destination.channel,
    };
    await this.em
      .fork()
      .transactional((tx) =>
        finishMessage(
          tx,
          this.audit,
          unqueued,
          { from: 'queued', to: 'failed', reason: 'could not be queued' },
          message.audit.ctx,
        ),
      )
      .catch(() => undefined);
  }
}
