export const AUDIT_MAINTENANCE_QUEUE = 'audit-maintenance';
export const AUDIT_PRUNE_JOB = 'prune';
/** One scheduler id: every worker upserts the same schedule, so it exists once however many run. */
export const AUDIT_PRUNE_SCHEDULER = 'audit-prune-daily';
