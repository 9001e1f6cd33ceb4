import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DeliveryModule } from '../../delivery/delivery.module';
import { DevicesModule } from '../../devices/devices.module';
import { MfaModule } from '../../mfa/mfa.module';
import { SessionsModule } from '../../sessions/sessions.module';
import { UsersModule } from '../../users/users.module';
import { ACCOUNT_PURGE_QUEUE } from './account-purge.constants';
import { AccountPurgeProcessor } from './account-purge.processor';
import { AccountPurgeService } from './account-purge.service';

/** Worker role only: erases deleted accounts at their purge time. */
@Module({
  imports: [
    BullModule.registerQueue({ name: ACCOUNT_PURGE_QUEUE }),
    UsersModule,
    SessionsModule,
    DevicesModule,
    MfaModule,
    DeliveryModule,
  ],
  providers: [AccountPurgeService, AccountPurgeProcessor],
  exports: [AccountPurgeService],
})
export class AccountPurgeModule {}
