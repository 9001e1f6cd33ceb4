import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { type Job, type Queue, Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { bullConnection, bullPrefix, closeBullConnection } from '../../common/redis/redis.factory';
import { appConfig } from '../../config/app.config';
import { deliveryConfig } from '../../config/delivery.config';
import { redisConfig } from '../../config/redis.config';
import { deliveryBackoffMs } from './delivery-backoff';
import { RetryableDeliveryError } from './delivery.errors';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryService } from './delivery.service';
import { DeliveryFallbacks } from './delivery-fallbacks.service';
import {
  DELIVERY_BACKOFF_TYPE,
  DELIVERY_QUEUE,
  FALLBACK_CHECK_JOB,
  REQUEUE_STRANDED_JOB,
  type DeliveryJobData,
  type SendMessageJobData,
} from './delivery.constants';

/**
 * The BullMQ worker of the delivery queue, built by hand (not @Processor) so that its lock,
 * stall detection, concurrency and backoff come from the validated configuration. Only
 * processes that run the worker (APP_ROLE=all or worker) provide it.
 */
@Injectable()
export class DeliveryWorker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DeliveryWorker');
  private worker?: Worker<DeliveryJobData>;
  private connection?: ReturnType<typeof bullConnection>;

  constructor(
    private readonly processor: DeliveryProcessor,
    private readonly delivery: DeliveryService,
    private readonly fallbacks: DeliveryFallbacks,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
    @Inject(redisConfig.KEY) private readonly redis: ConfigType<typeof redisConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    const { attempts, backoffMs, jobLockMs, workerConcurrency, strandedAfterMs, strandedSweepMs } = this.config;
    // One schedule for all workers (upsert by id): whichever worker is free runs the sweep.
    await this.queue.upsertJobScheduler(
      REQUEUE_STRANDED_JOB,
      { every: strandedSweepMs },
      { name: REQUEUE_STRANDED_JOB, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    const handle = async (job: Job<DeliveryJobData>): Promise<unknown> => {
      if (job.name === REQUEUE_STRANDED_JOB) {
        return {
          requeued: await this.delivery.requeueStranded(strandedAfterMs),
          fellBack: await this.fallbacks.fallBackOverdue(strandedAfterMs),
        };
      }
      const { messageId } = job.data as SendMessageJobData;
      if (job.name === FALLBACK_CHECK_JOB) return this.fallbacks.fallBack(messageId, 'not accepted in time');
      return this.processor.process(job as Job<SendMessageJobData>);
    };
    this.connection = bullConnection(this.redis, { worker: true });
    this.worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE, handle, {
      connection: this.connection,
      prefix: bullPrefix(this.redis),
      concurrency: workerConcurrency,
      // A worker that dies mid-send stops renewing its lock; after jobLockMs another worker
      // takes the job over (stalled-job recovery). The row's content makes it the same code.
      lockDuration: jobLockMs,
      stalledInterval: Math.max(1000, Math.floor(jobLockMs / 2)),
      maxStalledCount: attempts,
      settings: {
        backoffStrategy: (attemptsMade, type, error) =>
          deliveryBackoffMs({
            attemptsMade,
            maxAttempts: attempts,
            baseMs: backoffMs,
            remainingMs:
              type === DELIVERY_BACKOFF_TYPE && error instanceof RetryableDeliveryError ? error.remainingMs : undefined,
          }),
      },
    });
    this.worker.on('error', (error) => this.logger.warn({ msg: 'delivery worker error', err: error.message }));
    this.worker.on('failed', (job, error) => {
      this.logger.warn({
        msg: 'delivery job failed',
        messageId: job?.id,
        attemptsMade: job?.attemptsMade,
        err: error.message,
      });
      if (!job || job.name === REQUEUE_STRANDED_JOB || job.name === FALLBACK_CHECK_JOB) return;
      this.processor
        .onJobFailed(job as Job<SendMessageJobData>, error)
        .catch((failure: unknown) =>
          this.logger.error({ msg: 'could not record a failed delivery', messageId: job.id, err: String(failure) }),
        );
    });
  }

  /**
   * Lets the jobs in hand finish within SHUTDOWN_GRACE_MS, then disconnects. A job cut off
   * by force keeps its row in `sending` and is picked up again through stall detection.
   */
  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const graceful = worker.close().then(() => true);
    const timedOut = sleep(this.app.shutdownGraceMs, false, { ref: false });
    if (await Promise.race([graceful, timedOut])) return closeBullConnection(this.connection!);
    // Stop waiting. (`worker.close(true)` would not help: after `close()` BullMQ answers the same
    // pending promise, which waits for the jobs in hand.) Their locks lapse when the process exits.
    this.logger.warn({ msg: 'delivery jobs still in hand after the grace period; leaving them to stall recovery' });
  }
}
