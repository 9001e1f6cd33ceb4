import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { OtpService } from './otp.service';

@Module({
  imports: [DeliveryModule],
  providers: [OtpService],
  exports: [OtpService],
})
export class OtpModule {}
