import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const accountConfig = registerAs('account', () => {
  const env = new EnvReader();
  return {
    /** Days between DELETE /api/account and the purge of the account's personal data (0 = at once). */
    deletionGraceDays: env.int('ACCOUNT_DELETION_GRACE_DAYS', 30, { min: 0, max: 3650 }),
    /**
     * Cron pattern (UTC) of the worker's sweep for deleted accounts past their purge time. Each
     * deletion also queues its own purge for that time; the sweep catches a job Redis lost.
     */
    purgeSweepCron: env.string('ACCOUNT_PURGE_CRON', '41 * * * *'),
  };
});

export type AccountConfig = ReturnType<typeof accountConfig>;
