import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const auditConfig = registerAs('audit', () => {
  const env = new EnvReader();
  return {
    /** Events older than this many days are deleted by the daily retention job. */
    retentionDays: env.int('AUDIT_RETENTION_DAYS', 365, { min: 1 }),
    /** Rows per DELETE: short transactions keep locks and WAL bursts small on a large table. */
    pruneBatchSize: env.int('AUDIT_PRUNE_BATCH_SIZE', 5000, { min: 1, max: 100_000 }),
    /** Cron pattern (UTC) of the retention job in the worker. */
    pruneCron: env.string('AUDIT_PRUNE_CRON', '17 3 * * *'),
  };
});

export type AuditConfig = ReturnType<typeof auditConfig>;
