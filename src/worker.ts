import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { installGracefulShutdown } from './common/lifecycle/graceful-shutdown';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { appConfig, validateConfiguration } from './config';
import { WorkerModule } from './worker.module';

/** `npm run start:worker`: the delivery worker alone (APP_ROLE=worker). */
async function main(): Promise<void> {
  const warnings = validateConfiguration();
  const logger = createLogger(appConfig().logLevel);
  for (const warning of warnings) logger.warn({ msg: warning });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: new PinoNestLogger(logger) });
  installGracefulShutdown(app, logger, appConfig().shutdownGraceMs);
  logger.info({ msg: 'worker started', node: process.version });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
