import { EntityManager } from '@mikro-orm/postgresql';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { JobsOptions, Queue } from 'bullmq';
import { AppException } from '../../common/errors';
import { decodeCursor, olderThan, toPage } from '../../common/http/cursor';
import { webhooksConfig } from '../../config/webhooks.config';
import type { WebhookDeliveryDto } from './webhook.dto';
import { WebhookDelivery, type WebhookDeliveryStatus } from './webhook.entities';
import { DELIVER_WEBHOOK_JOB, WEBHOOK_BACKOFF_TYPE, WEBHOOK_QUEUE, type WebhookJobData } from './webhook.constants';
import { WebhookEndpoints } from './webhook-endpoints.service';

/** How long delivery records (and their attempts) stay visible. */
export const WEBHOOK_RETENTION_DAYS = 30;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One event, ready for its endpoints. */
export interface WebhookEvent {
  tenantId: string;
  userId: string | null;
  eventId: string;
  type: string;
  body: string;
}

/**
 * The delivery records (one per event and endpoint, written before their jobs) and their jobs:
 * fan-out of an event, the admin's list and manual retry, and the sweep for rows whose job was
 * never queued.
 */
@Injectable()
export class WebhookDeliveries {
  constructor(
    private readonly em: EntityManager,
    private readonly endpoints: WebhookEndpoints,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
  ) {}

  /** A row per endpoint first, then their jobs: a crash in between leaves rows the sweep queues. */
  async fanOut(event: WebhookEvent, endpointIds: readonly string[]): Promise<void> {
    const deliveries = endpointIds.map((endpointId) => Object.assign(new WebhookDelivery(), { ...event, endpointId }));
    await this.em.fork().insertMany(WebhookDelivery, deliveries);
    await this.queue.addBulk(
      deliveries.map((delivery) => ({
        name: DELIVER_WEBHOOK_JOB,
        data: { deliveryId: delivery.id },
        opts: this.jobOptions(delivery.id),
      })),
    );
  }

  async list(
    tenantId: string,
    endpointId: string,
    query: { status?: WebhookDeliveryStatus; limit: number; cursor?: string },
  ) {
    const endpoint = await this.endpoints.find(this.em.fork(), tenantId, endpointId);
    const rows = await this.em.fork().find(
      WebhookDelivery,
      {
        endpointId: endpoint.id,
        ...(query.status ? { status: query.status } : {}),
        ...olderThan(decodeCursor(query.cursor)),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, viewOf);
  }

  /**
   * Sends a delivery again with a fresh set of attempts, whatever its status (a succeeded one
   * too: the receiver asked for it again). Its endpoint must be enabled.
   */
  async retry(tenantId: string, endpointId: string, deliveryId: string): Promise<void> {
    const em = this.em.fork();
    const endpoint = await this.endpoints.find(em, tenantId, endpointId);
    const delivery = UUID.test(deliveryId)
      ? await em.findOne(WebhookDelivery, { id: deliveryId, endpointId: endpoint.id })
      : null;
    if (!delivery) throw new AppException('NOT_FOUND');
    if (!endpoint.enabled) {
      throw AppException.saying('CONFLICT', 'The endpoint is disabled: enable it (PATCH enabled: true) to retry');
    }
    await em.nativeUpdate(WebhookDelivery, { id: delivery.id }, { status: 'pending', deliveredAt: null });
    // A job id of its own: the first one may still exist (failed, kept for inspection).
    await this.queue.add(
      DELIVER_WEBHOOK_JOB,
      { deliveryId: delivery.id },
      this.jobOptions(`${delivery.id}-retry-${Date.now()}`),
    );
  }

  /** A deleted account's purge: the deliveries about it (their bodies name its email and phone). */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.nativeDelete(WebhookDelivery, { tenantId, userId });
  }

  /** Delivery records older than WEBHOOK_RETENTION_DAYS go, a batch per sweep. */
  async pruneOld(): Promise<number> {
    const result = await this.em.execute<{ affectedRows: number }>(
      `delete from "webhook_delivery" where "id" in (
         select "id" from "webhook_delivery" where "created_at" < now() - make_interval(days => ?) limit 5000)`,
      [WEBHOOK_RETENTION_DAYS],
      'run',
    );
    return result.affectedRows;
  }

  /** Deliveries still pending this long after they were written whose job never reached the queue. */
  async requeueStranded(olderThanMs: number): Promise<number> {
    const rows = await this.em.execute<Array<{ id: string }>>(
      `select "id" from "webhook_delivery" where "status" = 'pending' and "created_at" < now() - make_interval(secs => ?)
        order by "created_at" limit 500`,
      [olderThanMs / 1000],
    );
    if (rows.length === 0) return 0;
    // The delivery's own id as job id: BullMQ ignores the add while that job still exists.
    await this.queue.addBulk(
      rows.map((row) => ({ name: DELIVER_WEBHOOK_JOB, data: { deliveryId: row.id }, opts: this.jobOptions(row.id) })),
    );
    return rows.length;
  }

  private jobOptions(jobId: string): JobsOptions {
    return {
      jobId,
      attempts: this.config.attempts,
      backoff: { type: WEBHOOK_BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: 1000,
    };
  }
}

function viewOf(delivery: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    responseStatus: delivery.responseStatus,
    attemptLog: delivery.attemptLog,
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
  };
}
