import 'reflect-metadata';
// First: starts libuv's pool with the hashing threads below the event loop (see the file).
import { loweredHashingThreads } from './hashing-threads';
import { allRequestsAnswered, createAppWithLogger } from './bootstrap';
import { installGracefulShutdown } from './common/lifecycle/graceful-shutdown';
import { appConfig, authConfig } from './config';

async function main(): Promise<void> {
  const { app, logger } = await createAppWithLogger();
  if (loweredHashingThreads.length === 0 && authConfig().argon2ThreadNiceness > 0) {
    logger.warn({ msg: 'password hashing runs at the event loop priority (threadpool already started or not Linux)' });
  }
  const { port, host, shutdownGraceMs } = appConfig();
  // Stop accepting first, then wait until every request already inside has been answered.
  installGracefulShutdown(app, logger, shutdownGraceMs, async () => {
    const server = app.getHttpServer();
    // The server's 'close' event fires only once every connection has ended; idle keep-alive
    // connections are swept so that they do not hold the drain until their timeout.
    const drained = new Promise<void>((resolve) => server.once('close', () => resolve()));
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    try {
      await app.getHttpAdapter().getInstance().close();
      await drained;
      await allRequestsAnswered();
    } finally {
      clearInterval(sweep);
    }
  });
  await app.listen(port, host);
  logger.info({ msg: 'listening', host, port, node: process.version, role: appConfig().role });
}

main().catch((error: unknown) => {
  // Configuration errors name the variable; print them plainly and stop.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
