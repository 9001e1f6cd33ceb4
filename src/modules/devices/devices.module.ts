import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { Device } from './device.entity';
import { DevicesService } from './devices.service';

/** Device records (and the new-device notice), used by sessions when a sign-in starts; the HTTP routes are AccountModule's. */
@Module({
  imports: [MikroOrmModule.forFeature([Device]), DeliveryModule],
  providers: [DevicesService],
  exports: [DevicesService],
})
export class DevicesModule {}
