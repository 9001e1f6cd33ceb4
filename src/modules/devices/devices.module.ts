import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Device } from './device.entity';
import { DevicesService } from './devices.service';

/** Device records, used by sessions when a sign-in starts; the HTTP routes are DeviceManagementModule's. */
@Module({
  imports: [MikroOrmModule.forFeature([Device])],
  providers: [DevicesService],
  exports: [DevicesService],
})
export class DevicesModule {}
