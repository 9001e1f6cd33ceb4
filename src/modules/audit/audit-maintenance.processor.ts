import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import { auditConfig } from '../../config/audit.config';
import { AUDIT_MAINTENANCE_QUEUE, AUDIT_PRUNE_JOB, AUDIT_PRUNE_SCHEDULER } from './audit-maintenance.constants';
import { AuditRetentionService } from './audit-retention.service';

/** The daily retention job; only registered where the process runs the worker role. */
@Processor(AUDIT_MAINTENANCE_QUEUE)
export class AuditMaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly retention: AuditRetentionService,
    @InjectQueue(AUDIT_MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      AUDIT_PRUNE_SCHEDULER,
      { pattern: this.config.pruneCron, tz: 'UTC' },
      { name: AUDIT_PRUNE_JOB, opts: { removeOnComplete: 30, removeOnFail: 100 } },
    );
  }

  async process(job: Job): Promise<{ deleted: number }> {
    if (job.name !== AUDIT_PRUNE_JOB) throw new Error(`unknown job ${job.name}`);
    const { deleted } = await this.retention.prune();
    return { deleted };
  }
}
