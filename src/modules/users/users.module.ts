import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { PendingRegistration } from './pending-registration.entity';
import { PendingRegistrationsService } from './pending-registrations.service';
import { User } from './user.entity';
import { UsersService } from './users.service';

@Module({
  imports: [MikroOrmModule.forFeature([User, PendingRegistration])],
  providers: [UsersService, PendingRegistrationsService],
  exports: [UsersService, PendingRegistrationsService],
})
export class UsersModule {}
