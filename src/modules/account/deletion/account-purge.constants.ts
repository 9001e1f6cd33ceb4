import type { EntityManager } from '@mikro-orm/postgresql';

export const ACCOUNT_PURGE_QUEUE = 'account-purge';
/** One account's purge, queued at deletion for its purge time. */
export const PURGE_ACCOUNT_JOB = 'purge-account';
/** The sweep for accounts whose own job was lost; one scheduler id, however many workers run. */
export const PURGE_SWEEP_JOB = 'purge-sweep';
export const PURGE_SWEEP_SCHEDULER = 'account-purge-sweep';

export interface PurgeAccountJobData {
  tenantId: string;
  userId: string;
}

/** A module's part of a purge: it erases its own rows of the account inside the purge's transaction. */
export interface UserDataEraser {
  eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void>;
}

/** Every module holding personal data of an account (AccountPurgeModule lists them). */
export const USER_DATA_ERASERS = Symbol('USER_DATA_ERASERS');
