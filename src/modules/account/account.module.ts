import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AccountExportService } from './account-export.service';
import { AccountService } from './account.service';
import { MfaModule } from '../mfa/mfa.module';
import { ContactWriter } from './contact-writer.service';
import { EmailChangeService } from './email-change.service';
import { PhoneChangeService } from './phone-change.service';
import { SecurityNoticeListener } from './security-notice.listener';
import { DeliveryModule } from '../delivery/delivery.module';
import { OtpModule } from '../otp/otp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { DeviceManagementService } from './device-management.service';
import { DevicesController } from './devices.controller';
import { ACCOUNT_PURGE_QUEUE } from './deletion/account-purge.constants';
import { AccountDeletionService } from './deletion/account-deletion.service';

/**
 * The caller's own account over several modules: profile and settings (/api/account), and
 * /api/devices, which lists devices with their sessions and forgets a device with its sessions,
 * so it sits above users, devices and sessions.
 */
@Module({
  imports: [
    UsersModule,
    OtpModule,
    DeliveryModule,
    DevicesModule,
    SessionsModule,
    MfaModule,
    BullModule.registerQueue({ name: ACCOUNT_PURGE_QUEUE }),
  ],
  controllers: [AccountController, DevicesController],
  providers: [
    AccountService,
    AccountExportService,
    AccountDeletionService,
    ContactWriter,
    EmailChangeService,
    PhoneChangeService,
    DeviceManagementService,
    SecurityNoticeListener,
  ],
  // Beside AccountDeletionService: what the hosted account pages call (the same services as the routes).
  exports: [
    AccountDeletionService,
    AccountService,
    AccountExportService,
    EmailChangeService,
    PhoneChangeService,
    DeviceManagementService,
  ],
})
export class AccountModule {}
