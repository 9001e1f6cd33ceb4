import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { type Job, type Queue, Worker } from 'bullmq';
import { bullConnection, bullPrefix, closeBullConnection } from '../../common/redis/redis.factory';
import { redisConfig } from '../../config/redis.config';
import { webhooksConfig } from '../../config/webhooks.config';
import { REQUEUE_STRANDED_WEBHOOKS_JOB, WEBHOOK_QUEUE, type WebhookJobData } from './webhook.constants';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhookSending } from './webhook-sending.service';

/** Backoff caps at an hour (API.md "settled details"). */
const MAX_BACKOFF_MS = 3_600_000;
/** A delivery row still pending this long after it was written without a job is queued again. */
const STRANDED_AFTER_MS = 60_000;
const STRANDED_SWEEP_MS = 60_000;

/** WEBHOOK_BACKOFF_MS doubled per attempt, capped at an hour. */
export function webhookBackoffMs(attemptsMade: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
}

/**
 * The BullMQ worker of the webhook queue, built by hand like DeliveryWorker so that its
 * concurrency and backoff come from the configuration. Only processes that run workers
 * (APP_ROLE=all or worker) provide it.
 */
@Injectable()
export class WebhookWorker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookWorker');
  private worker?: Worker<WebhookJobData>;
  private connection?: ReturnType<typeof bullConnection>;

  constructor(
    private readonly sending: WebhookSending,
    private readonly deliveries: WebhookDeliveries,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
    @Inject(redisConfig.KEY) private readonly redis: ConfigType<typeof redisConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.queue.upsertJobScheduler(
      REQUEUE_STRANDED_WEBHOOKS_JOB,
      { every: STRANDED_SWEEP_MS },
      {
        name: REQUEUE_STRANDED_WEBHOOKS_JOB,
        data: { deliveryId: '' },
        opts: { removeOnComplete: true, removeOnFail: 100 },
      },
    );
    const handle = (job: Job<WebhookJobData>): Promise<unknown> =>
      job.name === REQUEUE_STRANDED_WEBHOOKS_JOB ? this.sweep() : this.sending.attempt(job);
    this.connection = bullConnection(this.redis, { worker: true });
    this.worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, handle, {
      connection: this.connection,
      prefix: bullPrefix(this.redis),
      concurrency: this.config.workerConcurrency,
      // An attempt takes at most the timeout; a worker that died mid-attempt hands it over after this.
      lockDuration: Math.max(30_000, this.config.timeoutMs * 3),
      settings: { backoffStrategy: (attemptsMade) => webhookBackoffMs(attemptsMade, this.config.backoffMs) },
    });
    this.worker.on('error', (error) => this.logger.warn({ msg: 'webhook worker error', err: error.message }));
  }

  /** Queues deliveries whose job was lost, and forgets records past their retention. */
  private async sweep(): Promise<{ requeued: number; pruned: number }> {
    return {
      requeued: await this.deliveries.requeueStranded(STRANDED_AFTER_MS),
      pruned: await this.deliveries.pruneOld(),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    if (this.connection) await closeBullConnection(this.connection);
  }
}
