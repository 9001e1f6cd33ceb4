import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { appConfig, validateConfiguration } from './config';
import { WorkerModule } from './worker.module';

/** `npm run start:worker`: the delivery worker alone (APP_ROLE=worker). */
async function main(): Promise<void> {
  validateConfiguration();
  const logger = createLogger(appConfig().logLevel);
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  logger.info('worker started');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
