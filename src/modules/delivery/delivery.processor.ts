import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { Clock } from '../../common/clock/clock';
import { CryptoService, type Ciphertext } from '../../common/crypto/crypto.service';
import { MetricsService } from '../../common/metrics/metrics.service';
import { AuditService } from '../audit/audit.service';
import { finishMessage } from './finish-message';
import type { DeliveryChannel } from './delivery-destination';
import { DeliveryMessage, type DeliveryStatus } from './delivery-message.entity';
import { DeliveryError, RetryableDeliveryError } from './delivery.errors';
import { DeliveryFallbacks } from './delivery-fallbacks.service';
import type { MessagePayload } from './delivery.service';
import type { SendMessageJobData } from './delivery.constants';
import { SuppressionListService } from './suppression-list.service';
import { DeliveryTransports } from './transports/delivery-transports.provider';

/**
 * Claims the row and reads everything the send needs in one round trip. A suppression that
 * appeared after the request was accepted is still honoured (the EXISTS costs no extra trip).
 */
const CLAIM_SQL = `
update "delivery_message" as "m"
   set "status" = 'sending', "attempts" = "m"."attempts" + 1, "updated_at" = now()
 where "m"."id" = ? and "m"."status" in ('queued', 'sending')
returning "m"."id", "m"."tenant_id", "m"."user_id", "m"."channel", "m"."destination_hash",
          "m"."destination_masked", "m"."payload", "m"."expires_at", "m"."created_at",
          exists (select 1 from "delivery_suppression" as "s"
                   where "s"."tenant_id" = "m"."tenant_id" and "s"."channel" = "m"."channel"
                     and "s"."destination_hash" = "m"."destination_hash" and "s"."lifted_at" is null) as "suppressed"`;

const SENT_SQL = `
update "delivery_message"
   set "status" = 'sent', "provider_message_id" = ?, "payload" = null, "sent_at" = ?, "last_error" = null,
       "fallback_payload" = null, "updated_at" = now()
 where "id" = ? and "status" = 'sending'`;

interface ClaimRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  channel: DeliveryChannel;
  destination_hash: string;
  destination_masked: string;
  payload: string | null;
  expires_at: Date | string;
  created_at: Date | string;
  suppressed: boolean;
}

/** What the worker knows of a claimed row: no second read. */
type ClaimedMessage = Pick<
  DeliveryMessage,
  | 'id'
  | 'tenantId'
  | 'userId'
  | 'channel'
  | 'destinationHash'
  | 'destinationMasked'
  | 'payload'
  | 'expiresAt'
  | 'createdAt'
>;

function toClaimed(row: ClaimRow): ClaimedMessage {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    channel: row.channel,
    destinationHash: row.destination_hash,
    destinationMasked: row.destination_masked,
    payload: row.payload as Ciphertext | null,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
  };
}

/**
 * Sends one message per job. The row is the state machine: a job first claims its row with
 * one conditional UPDATE (a row already sent, or in any final state, is left alone, so a
 * redelivered job does nothing twice), then sends the content stored encrypted in the row
 * (so a retry or a second worker after a crash sends the very same code). Failures are
 * thrown to BullMQ: temporary ones are retried with backoff, permanent ones are
 * UnrecoverableError after the row says why.
 */
@Injectable()
export class DeliveryProcessor {
  constructor(
    private readonly orm: MikroORM,
    private readonly suppressions: SuppressionListService,
    private readonly transports: DeliveryTransports,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly fallbacks: DeliveryFallbacks,
  ) {}

  async process(job: Job<SendMessageJobData>): Promise<void> {
    const connection = (this.orm.em as EntityManager).getConnection();
    const { messageId } = job.data;
    const claimed = await connection.execute<ClaimRow[]>(CLAIM_SQL, [messageId]);
    if (claimed.length === 0) return;
    const message = toClaimed(claimed[0]);
    if (!message.payload) {
      await this.finish(message, 'failed', 'payload missing');
      return;
    }
    if (message.expiresAt.getTime() <= this.clock.nowMs()) {
      await this.finish(message, 'expired', 'the message expired before it could be sent');
      return;
    }
    if (claimed[0].suppressed) {
      await this.finish(message, 'suppressed', 'destination is suppressed');
      return;
    }
    const payload = JSON.parse(this.crypto.decryptString(message.payload, message.id)) as MessagePayload;
    const transport = this.transports.for(message.channel);
    let providerMessageId: string | null;
    try {
      ({ providerMessageId } = await transport.send({
        id: message.id,
        tenantId: message.tenantId,
        channel: message.channel,
        ...payload,
      }));
    } catch (error) {
      const failure =
        error instanceof DeliveryError ? error : new DeliveryError('temporary', errorText(error, transport.provider));
      await this.recordFailure(job, message, failure);
      return;
    }
    // Conditional: a webhook may already have moved the row on (delivered), never back.
    await connection.execute(SENT_SQL, [providerMessageId, this.clock.now(), message.id], 'run');
    this.metrics.deliveryMessages.labels(message.channel, 'sent').inc();
    this.metrics.deliveryLatency
      .labels(message.channel)
      .observe((this.clock.nowMs() - message.createdAt.getTime()) / 1000);
  }

  /**
   * BullMQ gave up on a job (last attempt, UnrecoverableError, or too many stalls). The
   * processor records the outcome itself when it can; this covers failures it could not
   * classify (a crash between claim and send, a database error), so no row stays
   * `queued`/`sending` forever.
   */
  async onJobFailed(job: Job<SendMessageJobData>, error: Error): Promise<void> {
    const willRetry = error.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1);
    if (willRetry) return;
    const em = this.orm.em.fork() as EntityManager;
    const message = await em.findOne(DeliveryMessage, { id: job.data.messageId });
    if (!message || (message.status !== 'queued' && message.status !== 'sending')) return;
    await em.transactional(async (tx) => {
      const updated = await tx.nativeUpdate(
        DeliveryMessage,
        { id: message.id, status: message.status },
        { status: 'failed', payload: null, lastError: error.message.slice(0, 500) },
      );
      if (updated === 0) return;
      await this.audit.record(
        {
          type: 'delivery.failed',
          outcome: 'failure',
          tenantId: message.tenantId,
          subjectId: message.userId,
          data: { messageId: message.id, channel: message.channel, reason: error.message.slice(0, 200) },
        },
        undefined,
        tx,
      );
    });
    this.metrics.deliveryMessages.labels(message.channel, 'failed').inc();
  }

  /** Always throws: BullMQ must see every failure (retry or fail the job). */
  private async recordFailure(
    job: Job<SendMessageJobData>,
    message: ClaimedMessage,
    failure: DeliveryError,
  ): Promise<never> {
    const em = this.orm.em.fork() as EntityManager;
    const lastError = failure.message.slice(0, 500);
    if (failure.kind === 'bounce') {
      await em.transactional(async (tx) => {
        await tx.nativeUpdate(
          DeliveryMessage,
          { id: message.id, status: 'sending' },
          { status: 'bounced', payload: null, lastError },
        );
        await this.suppressions.suppress(tx, message, `bounce: ${lastError}`);
        await this.audit.record(
          {
            type: 'delivery.bounced',
            outcome: 'failure',
            tenantId: message.tenantId,
            subjectId: message.userId,
            data: { messageId: message.id, channel: message.channel, reason: lastError },
          },
          undefined,
          tx,
        );
      });
      this.metrics.deliveryMessages.labels(message.channel, 'bounced').inc();
      // Not on WhatsApp (131026) and the like: the tenant's next channel takes over, if it has one.
      await this.fallbacks.fallBack(message.id, `bounced: ${lastError}`);
      throw new UnrecoverableError(lastError);
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (failure.kind === 'rejected' || lastAttempt) {
      await this.finish(message, 'failed', lastError);
      throw new UnrecoverableError(lastError);
    }
    await em.nativeUpdate(DeliveryMessage, { id: message.id, status: 'sending' }, { status: 'queued', lastError });
    this.metrics.deliveryMessages.labels(message.channel, 'retried').inc();
    throw new RetryableDeliveryError(lastError, message.expiresAt.getTime() - this.clock.nowMs());
  }

  /** A final state without a send: the encrypted content goes with it. */
  private async finish(
    message: ClaimedMessage,
    status: Extract<DeliveryStatus, 'failed' | 'expired' | 'suppressed'>,
    reason: string,
  ): Promise<void> {
    await (this.orm.em.fork() as EntityManager).transactional((tx) =>
      finishMessage(tx, this.audit, message, { from: 'sending', to: status, reason }),
    );
    this.metrics.deliveryMessages.labels(message.channel, status).inc();
  }
}

function errorText(error: unknown, provider: string): string {
  return `${provider}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
}
