import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AUDIT_MAINTENANCE_QUEUE } from './audit-maintenance.constants';
import { AuditMaintenanceProcessor } from './audit-maintenance.processor';

/** Worker role only: the retention job's queue, schedule and processor. */
@Module({
  imports: [BullModule.registerQueue({ name: AUDIT_MAINTENANCE_QUEUE })],
  providers: [AuditMaintenanceProcessor],
})
export class AuditMaintenanceModule {}
