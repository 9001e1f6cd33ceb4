import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccessTokenGuard } from './modules/access/access-token.guard';
import { PermissionsModule } from './modules/access/permissions.module';
import { GeoipModule } from './common/geoip/geoip.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { MetricsModule } from './common/metrics/metrics.module';
import { RedisModule } from './common/redis/redis.module';
import { AppThrottlerGuard } from './common/throttling/app-throttler.guard';
import { ThrottlingModule } from './common/throttling/throttling.module';
import { QueueModule } from './common/queue/queue.module';
import { AuthModule } from './modules/auth/auth.module';
import { configSlices } from './config';
import { DatabaseModule } from './database/database.module';
import { AdminModule } from './modules/admin/admin.module';
import { AuditMaintenanceModule } from './modules/audit/audit-maintenance.module';
import { AuditModule } from './modules/audit/audit.module';
import { DeliveryWorkerModule } from './modules/delivery/delivery.module';
import { DeliveryHttpModule } from './modules/delivery/webhooks/delivery-http.module';
import { AccountModule } from './modules/account/account.module';
import { AccountPurgeModule } from './modules/account/deletion/account-purge.module';
import { HealthModule } from './modules/health/health.module';
import { OidcModule } from './modules/oidc/oidc.module';
import { PagesModule } from './modules/pages/pages.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { TenantGuard } from './modules/tenants/tenant.guard';
import { TenantsModule } from './modules/tenants/tenants.module';
import { WebhooksHttpModule, WebhooksModule, WebhookWorkerModule } from './modules/webhooks/webhooks.module';

/** Infrastructure every process needs, API or worker. */
export const CORE_IMPORTS = [
  ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configSlices }),
  DatabaseModule,
  RedisModule,
  CryptoModule,
  GeoipModule,
  MetricsModule,
  ThrottlingModule,
  QueueModule,
  AuditModule,
  TenantsModule,
  PermissionsModule,
];

@Module({})
export class AppModule {
  /** The HTTP application; `withWorker` also runs the delivery worker in this process (APP_ROLE=all). */
  static forApi(options: { withWorker: boolean }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...CORE_IMPORTS,
        HealthModule,
        AuthModule,
        SessionsModule,
        AccountModule,
        DeliveryHttpModule,
        AdminModule,
        PagesModule,
        OidcModule,
        WebhooksModule,
        WebhooksHttpModule,
        ...(options.withWorker
          ? [DeliveryWorkerModule, AuditMaintenanceModule, AccountPurgeModule, WebhookWorkerModule]
          : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // Order matters. Per-IP throttling first: a flood is cut off before it costs a tenant
        // lookup (made-up X-Tenant-Id values each miss every cache) or a token check.
        { provide: APP_GUARD, useExisting: AppThrottlerGuard },
        // Then the tenant, before authentication: tokens are checked against it.
        { provide: APP_GUARD, useExisting: TenantGuard },
        // Deny by default: every route needs a live session unless marked @Public().
        { provide: APP_GUARD, useClass: AccessTokenGuard },
      ],
    };
  }
}
