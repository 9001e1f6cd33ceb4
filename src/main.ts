import 'reflect-metadata';
import { allRequestsAnswered, createAppWithLogger } from './bootstrap';
import { installGracefulShutdown } from './common/lifecycle/graceful-shutdown';
import { appConfig } from './config';

async function main(): Promise<void> {
  const { app, logger } = await createAppWithLogger();
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
}

main().catch((error: unknown) => {
  // Configuration errors name the variable; print them plainly and stop.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
