import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config';
import { createOrmOptions } from './mikro-orm.config';

/**
 * The ORM for the whole process. Schema changes only ever come from migrations run by the
 * CLI (`db:prepare`, `migration:up`), never from module init.
 */
@Global()
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      // Each HTTP request gets its own identity map from a Fastify hook (request-context.ts,
      // registered by bootstrap); queue processors fork their own EntityManager per job.
      useFactory: (db: ConfigType<typeof databaseConfig>) => ({
        ...createOrmOptions(db),
        registerRequestContext: false,
      }),
    }),
  ],
})
export class DatabaseModule {}
