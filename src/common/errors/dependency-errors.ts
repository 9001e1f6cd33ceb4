/**
 * Recognises "PostgreSQL or Redis is unreachable" in the many shapes the drivers throw it,
 * so that it becomes a 503 (never a 500, and never a silent success).
 */
const DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);
const DOWN_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Command timed out',
  'MaxRetriesPerRequestError',
  'Reached the max retries per request limit',
  'Timeout acquiring a connection',
  'Connection terminated',
  'connect ECONNREFUSED',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'the database system is',
  'timeout expired',
  'Query read timeout',
  'Knex: Timeout acquiring a connection',
  // Redis Cluster and Sentinel while a master fails over: no node or no writable master yet.
  "Cluster isn't ready",
  'CLUSTERDOWN',
  'TRYAGAIN',
  'MASTERDOWN',
  'READONLY',
  'LOADING',
  'Failed to refresh slots cache',
  'All sentinels are unreachable',
];

export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: 'postgres' | 'redis',
    cause?: unknown,
  ) {
    super(`${dependency} unavailable`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

export function isDependencyDown(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  if (error instanceof DependencyUnavailableError) return true;
  const { code, name, message, cause } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && DOWN_CODES.has(code)) return true;
  if (name === 'MaxRetriesPerRequestError' || name === 'ConnectionException') return true;
  if (typeof message === 'string' && DOWN_MESSAGES.some((fragment) => message.includes(fragment))) return true;
  return isDependencyDown(cause, depth + 1);
}
