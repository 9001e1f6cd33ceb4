import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../access/require-permissions.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { CurrentAdmin, ParseIdPipe, scopeFor, type AdminActor } from './admin-scope';
import { AdminUsersService } from './admin-users.service';
import { AdminAccessLog } from './admin-access-log.service';
import { AdminTenantQueryDto } from './dto/admin-scope.dto';
import {
  AdminUserDetailDto,
  AdminUserDto,
  AdminUserPageResponseDto,
  ListUsersQueryDto,
  UpdateUserDto,
} from './dto/admin-user.dto';

@ApiTags('admin')
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly accessLog: AdminAccessLog,
  ) {}

  @Get()
  @RequirePermissions('users:read')
  @Operation(
    'listUsers',
    'Users of the tenant, newest first; search by email, phone or name prefix',
    '`query` matches the start of an email, a phone number or a name; `status` and `role` filter. Keyset-paginated `{items, nextCursor}`.',
  )
  @ApiOkResponse({ description: 'A page of users, newest first', type: AdminUserPageResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  async listUsers(@CurrentAdmin() admin: AdminActor, @Query() query: ListUsersQueryDto, @ReqCtx() ctx: RequestContext) {
    const { tenantId, limit, ...filters } = query;
    const scope = scopeFor(admin, tenantId);
    await this.accessLog.record(scope, 'listUsers', { ...filters, tenantId }, ctx);
    return this.users.list(scope, { ...filters, limit: limit ?? 20 });
  }

  @Get(':id')
  @RequirePermissions('users:read')
  @Operation(
    'getUser',
    'One user with their devices and live sessions',
    "The user's profile, roles and status, with their devices and their live sessions (revoked and expired ones are not listed).",
  )
  @ApiOkResponse({ description: 'The user with their devices and live sessions', type: AdminUserDetailDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  async getUser(
    @CurrentAdmin() admin: AdminActor,
    @Param('id', ParseIdPipe) id: string,
    @Query() query: AdminTenantQueryDto,
    @ReqCtx() ctx: RequestContext,
  ) {
    const scope = scopeFor(admin, query.tenantId);
    await this.accessLog.record(scope, 'getUser', { userId: id }, ctx);
    return this.users.get(scope, id);
  }

  @Patch(':id')
  @RequirePermissions('users:write')
  @Operation(
    'updateUser',
    "Change a user's roles or status",
    'Restricting or disabling revokes every session of the user and blocks sign-in (ACCOUNT_RESTRICTED). ' +
      'Only platform admins change a platform admin (403 FORBIDDEN otherwise). Removing the last active admin ' +
      'of a tenant (demoting, restricting or disabling them) answers 409 CONFLICT, unless a platform admin does it.',
  )
  @ApiOkResponse({ description: 'The user as they are now', type: AdminUserDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND', 'FORBIDDEN', 'CONFLICT')
  updateUser(
    @CurrentAdmin() admin: AdminActor,
    @Param('id', ParseIdPipe) id: string,
    @Query() query: AdminTenantQueryDto,
    @Body() body: UpdateUserDto,
    @ReqCtx() ctx: RequestContext,
  ) {
    return this.users.update(scopeFor(admin, query.tenantId), id, body, ctx);
  }

  @Delete(':id/sessions')
  @RequirePermissions('sessions:revoke')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'revokeUserSessions',
    'Revoke every session of a user',
    "Only platform admins revoke a platform admin's sessions (403 FORBIDDEN otherwise).",
  )
  @ApiNoContentResponse({ description: 'Every session of the user is revoked' })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND', 'FORBIDDEN')
  revokeUserSessions(
    @CurrentAdmin() admin: AdminActor,
    @Param('id', ParseIdPipe) id: string,
    @Query() query: AdminTenantQueryDto,
    @ReqCtx() ctx: RequestContext,
  ) {
    return this.users.revokeSessions(scopeFor(admin, query.tenantId), id, ctx);
  }
}
