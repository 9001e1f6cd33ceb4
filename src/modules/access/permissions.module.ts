import { Global, Module } from '@nestjs/common';
import { PermissionsGuard } from './permissions.guard';
import { PermissionsService } from './permissions.service';

/** Global so that any module's routes (admin, the queue dashboard) can use @RequirePermissions. */
@Global()
@Module({
  providers: [PermissionsService, PermissionsGuard],
  exports: [PermissionsService, PermissionsGuard],
})
export class PermissionsModule {}
