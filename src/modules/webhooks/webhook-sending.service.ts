import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { UnrecoverableError, type Job } from 'bullmq';
import { Clock } from '../../common/clock/clock';
import { MetricsService } from '../../common/metrics/metrics.service';
import { webhooksConfig } from '../../config/webhooks.config';
import { AuditService } from '../audit/audit.service';
import { webhookHeaders } from './standard-webhooks';
import type { WebhookJobData } from './webhook.constants';
import { WebhookDelivery, WebhookEndpoint, type WebhookAttempt } from './webhook.entities';
import { WebhookEndpoints } from './webhook-endpoints.service';
import { sendWebhook, WebhookSendError } from './webhook-sender';

/** A retry the worker's backoff schedules; the attempt is already recorded. */
export class WebhookAttemptFailed extends Error {
  override readonly name = 'WebhookAttemptFailed';
}

/**
 * One attempt of one delivery: signs the stored body (Standard Webhooks, signed afresh with the
 * attempt's timestamp), posts it to the endpoint's current URL through the SSRF-safe sender,
 * and records the attempt on the delivery and the endpoint. A failure is thrown so that BullMQ
 * retries it with backoff; the last one, or a refused destination, fails the delivery. An
 * endpoint failing for WEBHOOK_DISABLE_AFTER_MS is disabled (audited `webhook.disabled`).
 */
@Injectable()
export class WebhookSending {
  constructor(
    private readonly em: EntityManager,
    private readonly endpoints: WebhookEndpoints,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
  ) {}

  async attempt(job: Job<WebhookJobData>): Promise<void> {
    const em = this.em.fork();
    const delivery = await em.findOne(WebhookDelivery, { id: job.data.deliveryId });
    if (!delivery || delivery.status !== 'pending') return;
    const endpoint = await em.findOne(WebhookEndpoint, { id: delivery.endpointId });
    if (!endpoint?.enabled) {
      await this.finish(em, delivery, 'failed', {
        at: this.now(),
        responseStatus: null,
        latencyMs: 0,
        error: 'endpoint disabled',
      });
      return;
    }
    const started = performance.now();
    const timestamp = Math.floor(this.clock.nowMs() / 1000);
    let attempt: WebhookAttempt;
    let refused = false;
    try {
      const answer = await sendWebhook({
        url: endpoint.url,
        headers: {
          ...webhookHeaders(this.endpoints.secretOf(endpoint), delivery.eventId, timestamp, delivery.body),
          'content-type': 'application/json',
          'user-agent': 'SecureAuth-Webhooks/1',
        },
        body: delivery.body,
        timeoutMs: this.config.timeoutMs,
        allowPrivate: this.config.allowPrivate,
      });
      attempt = { at: this.now(), responseStatus: answer.status, latencyMs: answer.latencyMs, error: null };
    } catch (error) {
      const kind = error instanceof WebhookSendError ? error.kind : 'network';
      refused = kind === 'refused';
      attempt = {
        at: this.now(),
        responseStatus: null,
        latencyMs: Math.round(performance.now() - started),
        error: kind,
      };
    }
    const succeeded = attempt.responseStatus !== null && attempt.responseStatus >= 200 && attempt.responseStatus < 300;
    this.metrics.webhookAttempts
      .labels(succeeded ? 'succeeded' : (attempt.error ?? `http_${attempt.responseStatus}`))
      .inc();
    const last = refused || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await this.finish(em, delivery, succeeded ? 'succeeded' : last ? 'failed' : 'pending', attempt);
    await this.recordOnEndpoint(em, endpoint, succeeded);
    if (succeeded) return;
    const reason = attempt.error ?? `HTTP ${attempt.responseStatus}`;
    throw refused ? new UnrecoverableError(`destination refused`) : new WebhookAttemptFailed(reason);
  }

  private async finish(
    em: EntityManager,
    delivery: WebhookDelivery,
    status: WebhookDelivery['status'],
    attempt: WebhookAttempt,
  ): Promise<void> {
    // One statement, the log appended in place: two workers on one delivery (a stalled job
    // taken over) never lose each other's attempt.
    await em.execute(
      `update "webhook_delivery" set "status" = ?, "attempts" = "attempts" + 1, "response_status" = ?,
              "attempt_log" = "attempt_log" || ?::jsonb, "delivered_at" = case when ? then now() else "delivered_at" end
        where "id" = ?`,
      [status, attempt.responseStatus, JSON.stringify([attempt]), status === 'succeeded', delivery.id],
    );
  }

  /** The endpoint's health: a success clears its failing streak; a streak older than the limit disables it, once. */
  private async recordOnEndpoint(em: EntityManager, endpoint: WebhookEndpoint, succeeded: boolean): Promise<void> {
    if (succeeded) {
      await em.execute(
        `update "webhook_endpoint" set "last_success_at" = now(), "failing_since" = null where "id" = ?`,
        [endpoint.id],
      );
      return;
    }
    await em.transactional(async (tx) => {
      await tx.execute(
        `update "webhook_endpoint" set "last_failure_at" = now(), "failing_since" = coalesce("failing_since", now())
          where "id" = ?`,
        [endpoint.id],
      );
      // A statement of its own on the locked row: of two failures at once, one disables it.
      const disabled = await tx.execute<Array<{ id: string }>>(
        `update "webhook_endpoint" set "enabled" = false, "disabled_reason" = 'failing'
          where "id" = ? and "enabled" and "failing_since" <= now() - make_interval(secs => ?)
         returning "id"`,
        [endpoint.id, this.config.disableAfterMs / 1000],
      );
      if (disabled.length === 0) return;
      this.endpoints.forgetSubscribers(endpoint.tenantId);
      await this.audit.record(
        {
          type: 'webhook.disabled',
          outcome: 'failure',
          tenantId: endpoint.tenantId,
          data: { endpointId: endpoint.id, url: endpoint.url, reason: 'failing' },
        },
        undefined,
        tx,
      );
    });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
