import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { RequirePermissions } from '../access/require-permissions.decorator';
import { TenantSettingsDto } from '../tenants/tenant-settings.dto';
import { AdminTenantsService } from './admin-tenants.service';
import { CurrentAdmin, scopeFor, type AdminActor } from './admin-scope';
import { AdminTenantQueryDto } from './dto/admin-scope.dto';
import { TenantViewDto } from './dto/admin-tenant.dto';

/**
 * The caller's own tenant and its settings (API.md "settled details"); platform admins name
 * another with `?tenantId=`. The same change as the CLI's `set-tenant-settings`, audited with the admin.
 */
@ApiTags('admin')
@Controller('api/admin/tenant')
export class AdminTenantController {
  constructor(private readonly tenants: AdminTenantsService) {}

  @Get()
  @RequirePermissions('tenants:read')
  @Operation('getTenant', "The admin's tenant and its settings", 'Platform admins may name another with `?tenantId=`.')
  @ApiOkResponse({ description: 'The tenant', type: TenantViewDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  getTenant(@CurrentAdmin() admin: AdminActor, @Query() query: AdminTenantQueryDto): Promise<TenantViewDto> {
    return this.tenants.view(this.tenantOf(admin, query));
  }

  @Patch()
  @RequirePermissions('tenants:write')
  @Operation(
    'updateTenantSettings',
    "Change the tenant's settings",
    'Partial: the keys given replace their values, the others stay. Policy (channels, password length, session ' +
      'lifetimes, MFA, CAPTCHA, SMS countries) and branding of the hosted pages (displayName, logoUrl, ' +
      'primaryColor, locale). Every process sees the change at once. Audited as `tenant.settings_changed`.',
  )
  @ApiOkResponse({ description: 'The tenant as it is now', type: TenantViewDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  async updateTenantSettings(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Body() body: TenantSettingsDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<TenantViewDto> {
    const id = this.tenantOf(admin, query);
    await this.tenants.view(id);
    const given = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
    await this.tenants.setSettings(id, given, false, { actorId: admin.userId, ctx });
    return this.tenants.view(id);
  }

  /** One tenant always: the admin's own, or for a platform admin the one named (default: their own). */
  private tenantOf(admin: AdminActor, query: AdminTenantQueryDto): string {
    return scopeFor(admin, query.tenantId).tenantId ?? admin.tenantId;
  }
}
