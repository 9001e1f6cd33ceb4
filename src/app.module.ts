import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CryptoModule } from './common/crypto/crypto.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { MetricsModule } from './common/metrics/metrics.module';
import { RedisModule } from './common/redis/redis.module';
import { ThrottlingModule } from './common/throttling/throttling.module';
import { QueueModule } from './common/queue/queue.module';
import { AuthModule } from './modules/auth/auth.module';
import { configSlices } from './config';
import { DatabaseModule } from './database/database.module';
import { AuditModule } from './modules/audit/audit.module';
import { HealthModule } from './modules/health/health.module';
import { TenantGuard } from './modules/tenants/tenant.guard';
import { TenantsModule } from './modules/tenants/tenants.module';

/** Infrastructure every process needs, API or worker. */
export const CORE_IMPORTS = [
  ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configSlices }),
  DatabaseModule,
  RedisModule,
  CryptoModule,
  MetricsModule,
  ThrottlingModule,
  QueueModule,
  AuditModule,
  TenantsModule,
];

@Module({})
export class AppModule {
  /** The HTTP application; `withWorker` also runs the delivery worker in this process (APP_ROLE=all). */
  static forApi(_options: { withWorker: boolean }): DynamicModule {
    return {
      module: AppModule,
      imports: [...CORE_IMPORTS, HealthModule, AuthModule],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // Order matters: tenant first (tokens are checked against it), then authentication.
        { provide: APP_GUARD, useExisting: TenantGuard },
      ],
    };
  }
}
