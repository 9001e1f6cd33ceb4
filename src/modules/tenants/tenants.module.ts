import { Global, Module } from '@nestjs/common';
import { TenantGuard } from './tenant.guard';
import { TenantsService } from './tenants.service';

@Global()
@Module({
  providers: [TenantsService, TenantGuard],
  exports: [TenantsService, TenantGuard],
})
export class TenantsModule {}
