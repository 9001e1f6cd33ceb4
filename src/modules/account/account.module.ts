import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { SessionsModule } from '../sessions/sessions.module';
import { DeviceManagementService } from './device-management.service';
import { DevicesController } from './devices.controller';

/**
 * The caller's own account over several modules: /api/devices lists devices with their
 * sessions and forgets a device with its sessions, so it sits above devices and sessions.
 */
@Module({
  imports: [DevicesModule, SessionsModule],
  controllers: [DevicesController],
  providers: [DeviceManagementService],
})
export class AccountModule {}
