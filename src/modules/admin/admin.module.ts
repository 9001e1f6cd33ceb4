import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { DevicesModule } from '../devices/devices.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AdminAccessLog } from './admin-access-log.service';
import { AdminAuditController } from './admin-audit.controller';
import { AdminDeliveryController } from './admin-delivery.controller';
import { AdminTenantController } from './admin-tenant.controller';
import { AdminTenantsService } from './admin-tenants.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { QueueDashboardSetup } from './queue-dashboard.setup';

/**
 * Administration: RBAC-protected routes over users, audit and delivery, and the operator
 * actions the CLI shares with them (role grants, tenant disable).
 */
@Module({
  imports: [UsersModule, DevicesModule, SessionsModule, DeliveryModule],
  controllers: [AdminUsersController, AdminAuditController, AdminDeliveryController, AdminTenantController],
  providers: [AdminUsersService, AdminTenantsService, AdminAccessLog, QueueDashboardSetup],
  exports: [AdminUsersService, AdminTenantsService],
})
export class AdminModule {}
