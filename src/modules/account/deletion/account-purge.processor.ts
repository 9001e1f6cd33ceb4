import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import { accountConfig } from '../../../config/account.config';
import {
  ACCOUNT_PURGE_QUEUE,
  PURGE_ACCOUNT_JOB,
  PURGE_SWEEP_JOB,
  PURGE_SWEEP_SCHEDULER,
  type PurgeAccountJobData,
} from './account-purge.constants';
import { AccountPurgeService } from './account-purge.service';

/** The purge of deleted accounts, in the worker: each account's own job, and the sweep. */
@Processor(ACCOUNT_PURGE_QUEUE)
export class AccountPurgeProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly purges: AccountPurgeService,
    @InjectQueue(ACCOUNT_PURGE_QUEUE) private readonly queue: Queue,
    @Inject(accountConfig.KEY) private readonly config: ConfigType<typeof accountConfig>,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      PURGE_SWEEP_SCHEDULER,
      { pattern: this.config.purgeSweepCron, tz: 'UTC' },
      { name: PURGE_SWEEP_JOB, opts: { removeOnComplete: 30, removeOnFail: 100 } },
    );
  }

  async process(job: Job): Promise<{ purged: number }> {
    if (job.name === PURGE_ACCOUNT_JOB) {
      const { tenantId, userId } = job.data as PurgeAccountJobData;
      return { purged: (await this.purges.purge(tenantId, userId)) ? 1 : 0 };
    }
    if (job.name === PURGE_SWEEP_JOB) return { purged: await this.purges.purgeDue() };
    throw new Error(`unknown job ${job.name}`);
  }
}
