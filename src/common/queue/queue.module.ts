import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../../config/app.config';
import { redisConfig } from '../../config/redis.config';
import { bullConnectionOptions, bullPrefix } from '../redis/redis.factory';

/**
 * BullMQ's shared connection settings. Queues register themselves with
 * BullModule.registerQueue in their own module; processors only run where APP_ROLE
 * includes the worker.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [redisConfig.KEY, appConfig.KEY],
      useFactory: (redis: ConfigType<typeof redisConfig>, app: ConfigType<typeof appConfig>) => ({
        connection: bullConnectionOptions(redis, { worker: app.role !== 'api' }),
        prefix: bullPrefix(redis),
      }),
    }),
  ],
})
export class QueueModule {}
