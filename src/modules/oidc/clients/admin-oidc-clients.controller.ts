import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Operation } from '../../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../../common/http/request-context';
import { RequirePermissions } from '../../access/require-permissions.decorator';
import { CurrentAdmin, scopeFor, type AdminActor } from '../../admin/admin-scope';
import { AdminPageQueryDto, AdminTenantQueryDto } from '../../admin/dto/admin-scope.dto';
import {
  CreatedOidcClientDto,
  CreateOidcClientDto,
  OidcClientDto,
  OidcClientPageDto,
  OidcClientSecretDto,
  UpdateOidcClientDto,
} from './oidc-client.dto';
import { OidcClients } from './oidc-clients.service';

/**
 * The tenant's OIDC clients (API.md "OpenID Connect provider"). Secrets are shown once (creation,
 * rotation) and stored hashed; platform admins name another tenant with `?tenantId=`.
 */
@ApiTags('admin')
@Controller('api/admin/oidc/clients')
export class AdminOidcClientsController {
  constructor(private readonly clients: OidcClients) {}

  @Get()
  @RequirePermissions('clients:read')
  @Operation('listOidcClients', "The tenant's OIDC clients", 'Newest first, keyset-paginated `{items, nextCursor}`.')
  @ApiOkResponse({ type: OidcClientPageDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  list(@CurrentAdmin() admin: AdminActor, @Query() query: AdminPageQueryDto): Promise<OidcClientPageDto> {
    return this.clients.list(this.tenantOf(admin, query), { limit: query.limit ?? 20, cursor: query.cursor });
  }

  @Post()
  @RequirePermissions('clients:write')
  @Operation(
    'createOidcClient',
    'Register an OIDC client',
    'Confidential clients (the default) get a `clientSecret`, shown this once. Redirect URIs are matched exactly. ' +
      'Audited as `oidc.client_created`.',
  )
  @ApiCreatedResponse({ type: CreatedOidcClientDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  create(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Body() body: CreateOidcClientDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<CreatedOidcClientDto> {
    return this.clients.create(this.tenantOf(admin, query), body, { actorId: admin.userId, ctx });
  }

  @Patch(':clientId')
  @RequirePermissions('clients:write')
  @Operation('updateOidcClient', 'Change an OIDC client', 'Partial. Audited as `oidc.client_updated`.')
  @ApiOkResponse({ type: OidcClientDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  update(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Param('clientId') clientId: string,
    @Body() body: UpdateOidcClientDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<OidcClientDto> {
    return this.clients.update(this.tenantOf(admin, query), clientId, body, { actorId: admin.userId, ctx });
  }

  @Post(':clientId/secret')
  @HttpCode(200)
  @RequirePermissions('clients:write')
  @Operation(
    'rotateOidcClientSecret',
    "Replace an OIDC client's secret",
    'The new secret is shown this once; the old one stops working at once. Audited as `oidc.client_secret_rotated`.',
  )
  @ApiOkResponse({ type: OidcClientSecretDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  rotateSecret(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Param('clientId') clientId: string,
    @ReqCtx() ctx: RequestContext,
  ): Promise<OidcClientSecretDto> {
    return this.clients.rotateSecret(this.tenantOf(admin, query), clientId, { actorId: admin.userId, ctx });
  }

  @Delete(':clientId')
  @HttpCode(204)
  @RequirePermissions('clients:write')
  @Operation(
    'deleteOidcClient',
    'Remove an OIDC client',
    'Its grants, refresh tokens and consents go with it. Audited as `oidc.client_deleted`.',
  )
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  async remove(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Param('clientId') clientId: string,
    @ReqCtx() ctx: RequestContext,
  ): Promise<void> {
    await this.clients.remove(this.tenantOf(admin, query), clientId, { actorId: admin.userId, ctx });
  }

  /** One tenant always: the admin's own, or for a platform admin the one named. */
  private tenantOf(admin: AdminActor, query: AdminTenantQueryDto): string {
    return scopeFor(admin, query.tenantId).tenantId ?? admin.tenantId;
  }
}
