import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import { isDependencyDown } from '../errors/dependency-errors';

/**
 * SIGTERM/SIGINT for a rolling deploy: stop accepting, let in-flight work finish (bounded by
 * `graceMs`), then close the modules (queues hand back or finish their jobs, then Redis and
 * PostgreSQL close) and exit 0. Nest's own shutdown hooks would close Redis while requests
 * are still being answered.
 */
export function installGracefulShutdown(
  app: INestApplicationContext,
  logger: Logger,
  graceMs: number,
  stopAccepting?: () => Promise<void>,
): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ msg: 'shutting down', signal });
    const deadline = setTimeout(() => {
      logger.error({ msg: 'shutdown grace period exceeded; exiting' });
      process.exit(1);
    }, graceMs + 5_000);
    deadline.unref();
    // Connections torn down while closing (a queue's blocking Redis client, a pool) may reject
    // after their owner is gone: expected now, not a crash.
    process.on('unhandledRejection', (reason) => {
      logger.warn({
        msg: 'rejection while shutting down',
        err: reason instanceof Error ? reason.message : String(reason),
      });
    });
    try {
      if (stopAccepting) await withTimeout(stopAccepting(), graceMs);
      await app.close();
      process.exit(0);
    } catch (error) {
      // A dependency connection that was already closed is the end state we want, not a failure.
      const closedAlready = isDependencyDown(error);
      logger[closedAlready ? 'warn' : 'error']({
        msg: 'shutdown: close reported an error',
        err: error instanceof Error ? error.message : String(error),
      });
      process.exit(closedAlready ? 0 : 1);
    }
  };
  // `on`, not `once`: a second SIGTERM during the drain must not fall back to Node's default (instant death).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (received) => void stop(received));
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
