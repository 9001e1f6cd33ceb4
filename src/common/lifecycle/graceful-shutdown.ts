import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';

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
    try {
      if (stopAccepting) await withTimeout(stopAccepting(), graceMs);
      await app.close();
      process.exit(0);
    } catch (error) {
      logger.error({ msg: 'shutdown failed', err: error instanceof Error ? error.message : String(error) });
      process.exit(1);
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
