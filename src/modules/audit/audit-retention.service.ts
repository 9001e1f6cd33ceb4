import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { auditConfig } from '../../config/audit.config';
import { AuditService } from './audit.service';

const DAY_MS = 86_400_000;

/**
 * Deletes audit events past AUDIT_RETENTION_DAYS. The table refuses DELETE (trigger) unless
 * the transaction set `secureauth.audit_prune`, so only this code path can shrink the log,
 * and only with `set local` (the flag dies with each batch's transaction).
 */
@Injectable()
export class AuditRetentionService {
  private readonly logger = new Logger(AuditRetentionService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  cutoff(retentionDays = this.config.retentionDays): Date {
    return new Date(this.clock.nowMs() - retentionDays * DAY_MS);
  }

  /** Deletes every event created before the cutoff, in batches; returns how many went. */
  async prune(retentionDays = this.config.retentionDays): Promise<{ deleted: number; cutoff: Date }> {
    const cutoff = this.cutoff(retentionDays);
    const batchSize = this.config.pruneBatchSize;
    const byTenant = new Map<string, number>();
    for (;;) {
      const rows = await this.em.fork().transactional(async (tx) => {
        await tx.execute(`set local secureauth.audit_prune = 'on'`);
        return tx.execute<Array<{ tenant_id: string }>>(
          `delete from "audit_event" where "id" in (
             select "id" from "audit_event" where "created_at" < ? order by "created_at" limit ?)
           returning "tenant_id"`,
          [cutoff, batchSize],
          'all',
        );
      });
      for (const row of rows) byTenant.set(row.tenant_id, (byTenant.get(row.tenant_id) ?? 0) + 1);
      if (rows.length < batchSize) break;
    }
    // The pruning itself is on record, per tenant, so each tenant's admins see their own count only.
    for (const [tenantId, count] of byTenant) {
      await this.audit.record(
        { type: 'audit.pruned', outcome: 'success', tenantId, actorId: null, data: { deleted: count, before: cutoff } },
        undefined,
        this.em.fork(),
      );
    }
    const deleted = [...byTenant.values()].reduce((sum, count) => sum + count, 0);
    this.logger.log(`audit retention: ${deleted} events older than ${cutoff.toISOString()} deleted`);
    return { deleted, cutoff };
  }
}
