import { BullModule } from '@nestjs/bullmq';
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { ConnectionOptions } from 'bullmq';
import { appConfig } from '../../config/app.config';
import { redisConfig } from '../../config/redis.config';
import { bullConnection, bullPrefix, closeBullConnection } from '../redis/redis.factory';

const BULL_CONNECTION = Symbol('BULL_CONNECTION');

/** The queues' connection, closed with the application (on a cluster it is a client of ours). */
@Module({
  providers: [
    {
      provide: BULL_CONNECTION,
      inject: [redisConfig.KEY, appConfig.KEY],
      useFactory: (redis: ConfigType<typeof redisConfig>, app: ConfigType<typeof appConfig>) =>
        bullConnection(redis, { worker: app.role !== 'api' }),
    },
  ],
  exports: [BULL_CONNECTION],
})
class BullConnectionModule implements OnApplicationShutdown {
  constructor(@Inject(BULL_CONNECTION) private readonly connection: ConnectionOptions) {}

  onApplicationShutdown(): Promise<void> {
    return closeBullConnection(this.connection);
  }
}

/**
 * BullMQ's shared connection settings. Queues register themselves with
 * BullModule.registerQueue in their own module; processors only run where APP_ROLE
 * includes the worker.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      imports: [BullConnectionModule],
      inject: [BULL_CONNECTION, redisConfig.KEY],
      useFactory: (connection: ConnectionOptions, redis: ConfigType<typeof redisConfig>) => ({
        connection,
        prefix: bullPrefix(redis),
      }),
    }),
  ],
})
export class QueueModule {}
