import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PermissionsGuard } from './permissions.guard';
import { PermissionsService } from './permissions.service';
import { RouteAccessCheck } from './route-access.check';

/**
 * Global so that any module's routes (admin, the queue dashboard) can use @RequirePermissions.
 * Also checks at boot that every route declares its access exactly once (RouteAccessCheck).
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [PermissionsService, PermissionsGuard, RouteAccessCheck],
  exports: [PermissionsService, PermissionsGuard],
})
export class PermissionsModule {}
