import { Module } from '@nestjs/common';
import { CORE_IMPORTS } from './app.module';
import { AuditMaintenanceModule } from './modules/audit/audit-maintenance.module';
import { DeliveryWorkerModule } from './modules/delivery/delivery.module';
import { AccountPurgeModule } from './modules/account/deletion/account-purge.module';
import { WebhooksModule, WebhookWorkerModule } from './modules/webhooks/webhooks.module';

/** The queue worker process: same domain modules as the API, no controllers. */
@Module({
  imports: [
    ...CORE_IMPORTS,
    DeliveryWorkerModule,
    AuditMaintenanceModule,
    AccountPurgeModule,
    WebhooksModule,
    WebhookWorkerModule,
  ],
})
export class WorkerModule {}
