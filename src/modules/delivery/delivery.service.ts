import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bullmq';
import { CryptoService } from '../../common/crypto/crypto.service';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { decodeCursor, olderThan, toPage } from '../../common/http/cursor';
import { deliveryConfig } from '../../config/delivery.config';
import { otpConfig } from '../../config/otp.config';
import type { AuditEventType } from '../audit/audit.constants';
import { AuditService } from '../audit/audit.service';
import type { DeliveryChannel, OtpDestination, OtpPurpose } from '../otp/otp.types';
import { maskDestination } from './delivery-destination';
import { PhoneDestinationPolicy, type TextablePhone } from './phone-destination.policy';
import {
  DeliveryMessage,
  FINAL_STATUSES,
  type DeliveryStatus,
  type MessagePurpose,
  type NoticeKind,
} from './delivery-message.entity';
import { DeliverySuppression } from './delivery-suppression.entity';
import { type NewSignInVars, renderNoticeMessage, renderOtpMessage, type RenderedMessage } from './delivery-templates';
import { DELIVERY_BACKOFF_TYPE, DELIVERY_QUEUE, SEND_MESSAGE_JOB, type SendMessageJobData } from './delivery.constants';
import type { OutgoingMessage } from './transports/delivery-transport';

export interface EnqueueOtpInput {
  tenantId: string;
  userId?: string | null;
  purpose: OtpPurpose;
  destination: OtpDestination;
  code: string;
  ttlSeconds: number;
  /** The `otp.sent` event, written with the row in one statement (see enqueueOtp). */
  audit: { ctx?: Partial<RequestContext>; data: Record<string, unknown> };
}

export interface EnqueueNoticeInput {
  tenantId: string;
  userId: string;
  destination: { channel: 'email'; address: string };
  kind: NoticeKind;
  vars: NewSignInVars;
  /** Names the device in the `notice.sent` event. */
  deviceId?: string | null;
  ctx?: Partial<RequestContext>;
}

/** Long enough for every retry of a provider outage; a sign-in notice a day late is still worth reading. */
const NOTICE_TTL_SECONDS = 24 * 3600;

interface MessageRecord {
  tenantId: string;
  userId: string | null;
  channel: DeliveryChannel;
  purpose: MessagePurpose;
  destination: OtpDestination;
  content: RenderedMessage;
  ttlSeconds: number;
  audit: {
    type: Extract<AuditEventType, 'otp.sent' | 'notice.sent'>;
    deviceId?: string | null;
    ctx?: Partial<RequestContext>;
    data: Record<string, unknown>;
  };
}

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

export type ProviderEventType = 'delivered' | 'bounce' | 'complaint' | 'failed';

export interface ProviderEvent {
  messageId: string;
  type: ProviderEventType;
  /** For bounces: false for a soft (temporary) bounce; absent counts as permanent. */
  permanent?: boolean;
  reason?: string;
  provider: string;
}

const SUPPRESSED_SQL = `
select 1 from "delivery_suppression"
 where "tenant_id" = ? and "channel" = ? and "destination_hash" = ? and "lifted_at" is null
 limit 1`;

/**
 * A new entry, or a lifted one suppressed again, but only by a message written after the lift:
 * a provider's event about an older message (a late callback, or a replay once the replay
 * guard forgot it) must not undo an admin's decision.
 */
const SUPPRESS_SQL = `
insert into "delivery_suppression"
  ("id", "tenant_id", "channel", "destination_hash", "destination_masked", "reason", "created_at")
values (?, ?, ?, ?, ?, ?, ?)
on conflict ("tenant_id", "channel", "destination_hash") do update
   set "reason" = excluded."reason", "destination_masked" = excluded."destination_masked",
       "created_at" = excluded."created_at", "lifted_at" = null
 where "delivery_suppression"."lifted_at" is not null and "delivery_suppression"."lifted_at" < ?`;

/** The message row and its audit event (same columns as AuditService.record writes). */
const INSERT_MESSAGE_SQL = `
with "message" as (
  insert into "delivery_message"
    ("id", "tenant_id", "user_id", "channel", "purpose", "destination_masked", "destination_hash",
     "status", "attempts", "payload", "expires_at", "created_at", "updated_at")
  values (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)
)
insert into "audit_event"
  ("id", "tenant_id", "type", "outcome", "actor_id", "subject_id", "session_id", "device_id",
   "ip", "user_agent", "request_id", "data", "created_at")
values (?, ?, ?, 'success', ?, ?, null, ?, ?, ?, ?, ?::jsonb, ?)`;

/** The encrypted part of a message row: everything needed to send it again after a crash. */
export type MessagePayload = Omit<OutgoingMessage, 'id' | 'channel'>;

/**
 * The producer side of delivery and its read side: records a message, queues a job that
 * only names it, answers admins, and applies provider events (webhooks). The worker side
 * is DeliveryProcessor.
 */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly em: EntityManager,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<SendMessageJobData>,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
    private readonly phones: PhoneDestinationPolicy,
  ) {}

  /** Keyed, so the stored hash of a phone number cannot be reversed by enumerating numbers. */
  destinationHash(destination: OtpDestination): string {
    return this.crypto.hmac(this.otp.pepper, `${destination.channel}:${destination.address}`);
  }

  isSuppressed(tenantId: string, destination: OtpDestination, em: EntityManager = this.em): Promise<boolean> {
    return this.isHashSuppressed(tenantId, destination.channel, this.destinationHash(destination), em);
  }

  async isHashSuppressed(
    tenantId: string,
    channel: DeliveryChannel,
    destinationHash: string,
    em: EntityManager = this.em,
  ): Promise<boolean> {
    const rows = await em.execute<unknown[]>(SUPPRESSED_SQL, [tenantId, channel, destinationHash]);
    return rows.length > 0;
  }

  /**
   * 422 DESTINATION_UNDELIVERABLE for a suppressed destination, or a phone number this service
   * does not text (PhoneDestinationPolicy). Answers what the policy found of a phone number.
   */
  async assertDeliverable(tenantId: string, destination: OtpDestination): Promise<TextablePhone | null> {
    const phone =
      destination.channel === 'email' ? null : await this.phones.assertTextable(tenantId, destination.address);
    if (await this.isSuppressed(tenantId, destination)) throw new AppException('DESTINATION_UNDELIVERABLE');
    return phone;
  }

  /**
   * Queues again the messages whose row committed but whose job never reached the queue (the
   * API died in between), oldest first. A row that still has its job (waiting, delayed after a
   * failure, running) is untouched: jobId = message id makes the add a no-op. A message past
   * its lifetime is then marked `expired` by the processor, not sent.
   */
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

  /**
   * Records the message (content encrypted, bound to its id) and its `otp.sent` audit event
   * in one statement, then queues a job that only names it. jobId = message id, so
   * enqueueing the same message twice is a no-op.
   */
  enqueueOtp(input: EnqueueOtpInput): Promise<{ messageId: string }> {
    const { destination } = input;
    return this.enqueue({
      tenantId: input.tenantId,
      userId: input.userId ?? null,
      channel: destination.channel,
      purpose: input.purpose,
      destination,
      content: renderOtpMessage(input.purpose, destination.channel, input.code, input.ttlSeconds),
      ttlSeconds: input.ttlSeconds,
      audit: { type: 'otp.sent', ctx: input.audit.ctx, data: input.audit.data },
    });
  }

  /** An informational email (e.g. a sign-in from a new device), with its `notice.sent` event; same path as OTPs. */
  enqueueNotice(input: EnqueueNoticeInput): Promise<{ messageId: string }> {
    const { destination } = input;
    return this.enqueue({
      tenantId: input.tenantId,
      userId: input.userId,
      channel: destination.channel,
      purpose: input.kind,
      destination,
      content: renderNoticeMessage(input.kind, input.vars),
      ttlSeconds: NOTICE_TTL_SECONDS,
      audit: {
        type: 'notice.sent',
        deviceId: input.deviceId,
        ctx: input.ctx,
        data: { kind: input.kind, channel: destination.channel },
      },
    });
  }

  private async enqueue(record: MessageRecord): Promise<{ messageId: string }> {
    const { destination } = record;
    const messageId = randomUUID();
    const payload: MessagePayload = { to: destination.address, ...record.content };
    const now = new Date(this.clock.nowMs());
    const userId = record.userId;
    const ctx = record.audit.ctx;
    const connection = this.em.getConnection();
    // One round trip and one commit: a data-modifying CTE always runs, and both rows commit or neither does.
    await connection.execute(
      INSERT_MESSAGE_SQL,
      [
        messageId,
        record.tenantId,
        userId,
        record.channel,
        record.purpose,
        maskDestination(destination.channel, destination.address),
        this.destinationHash(destination),
        this.crypto.encrypt(JSON.stringify(payload), messageId),
        new Date(now.getTime() + record.ttlSeconds * 1000),
        now,
        now,
        randomUUID(),
        record.tenantId,
        record.audit.type,
        userId,
        userId,
        record.audit.deviceId ?? null,
        ctx?.ip ?? null,
        ctx?.userAgent ?? null,
        ctx?.requestId ?? null,
        JSON.stringify({ ...record.audit.data, messageId }),
        now,
      ],
      'run',
    );
    try {
      await this.queueSend(messageId);
    } catch (error) {
      // Nothing will ever send it: say so in the row (and the audit trail) instead of leaving it "queued".
      await this.em
        .fork()
        .transactional(async (tx) => {
          const updated = await tx.nativeUpdate(
            DeliveryMessage,
            { id: messageId, status: 'queued' },
            { status: 'failed', payload: null, lastError: 'could not be queued' },
          );
          if (updated === 0) return;
          await this.audit.record(
            {
              type: 'delivery.failed',
              outcome: 'failure',
              tenantId: record.tenantId,
              subjectId: userId,
              data: { messageId, channel: destination.channel, reason: 'could not be queued' },
            },
            ctx,
            tx,
          );
        })
        .catch(() => undefined);
      throw error;
    }
    return { messageId };
  }

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

  /**
   * Lifts a suppression (kept, marked lifted: see SUPPRESS_SQL). NOT_FOUND for an id outside
   * the caller's scope or already lifted, as for a missing one.
   */
  async removeSuppression(scope: DeliveryScope, id: string, actorId: string): Promise<void> {
    const where: Record<string, unknown> = { id, liftedAt: null };
    if (scope.tenantId !== undefined) where.tenantId = scope.tenantId;
    const suppression = await this.em.findOne(DeliverySuppression, where);
    if (!suppression) throw new AppException('NOT_FOUND');
    await this.em.transactional(async (em) => {
      const lifted = await em.nativeUpdate(
        DeliverySuppression,
        { id: suppression.id, liftedAt: null },
        { liftedAt: new Date(this.clock.nowMs()) },
      );
      if (lifted === 0) throw new AppException('NOT_FOUND');
      await this.audit.record(
        {
          type: 'delivery.suppression_removed',
          outcome: 'success',
          tenantId: suppression.tenantId,
          actorId,
          data: { channel: suppression.channel, destination: suppression.destinationMasked },
        },
        undefined,
        em,
      );
    });
  }

  /**
   * A provider's report about a message (webhook). Status only moves forward; a repeated
   * event finds nothing left to change. A permanent bounce or a complaint suppresses the
   * destination.
   */
  async applyProviderEvent(event: ProviderEvent): Promise<void> {
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
      const suppressed = suppress ? await this.suppress(em, message, `${event.type}: ${reason}`) : false;
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

  /**
   * Suppresses the destination of `message` for its bounce or complaint; true when that wrote
   * an entry. A destination an admin lifted after `message` was written stays lifted.
   */
  async suppress(
    em: EntityManager,
    message: Pick<DeliveryMessage, 'tenantId' | 'channel' | 'destinationHash' | 'destinationMasked' | 'createdAt'>,
    reason: string,
  ): Promise<boolean> {
    const written = await em.execute<{ affectedRows?: number }>(
      SUPPRESS_SQL,
      [
        randomUUID(),
        message.tenantId,
        message.channel,
        message.destinationHash,
        message.destinationMasked,
        reason.slice(0, 200),
        new Date(this.clock.nowMs()),
        message.createdAt,
      ],
      'run',
    );
    return (written.affectedRows ?? 0) > 0;
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
