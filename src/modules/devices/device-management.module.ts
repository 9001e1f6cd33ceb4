import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { DeviceManagementService } from './device-management.service';
import { DevicesController } from './devices.controller';
import { DevicesModule } from './devices.module';

/** /api/devices: sits above sessions (removing a device revokes its sessions), so no cycle. */
@Module({
  imports: [DevicesModule, SessionsModule],
  controllers: [DevicesController],
  providers: [DeviceManagementService],
})
export class DeviceManagementModule {}
