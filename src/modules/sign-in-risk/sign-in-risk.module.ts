import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { UsersModule } from '../users/users.module';
import { NewPlaceNoticeListener } from './new-place-notice.listener';
import { SignInPlace } from './sign-in-place.entity';
import { SignInPlaces } from './sign-in-places.service';
import { SignInRisk } from './sign-in-risk.service';

/**
 * Where sign-ins come from, as a risk signal: the countries each user signed in from, the
 * tenant's new-place policy (notice or second factor), impossible travel. Used by auth's
 * SignInService at both ends of every sign-in.
 */
@Module({
  imports: [MikroOrmModule.forFeature([SignInPlace]), DevicesModule, UsersModule],
  providers: [SignInPlaces, SignInRisk, NewPlaceNoticeListener],
  exports: [SignInRisk, SignInPlaces],
})
export class SignInRiskModule {}
