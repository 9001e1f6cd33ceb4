import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth } from '@nestjs/swagger';
import { ApiErrors, IS_AUTHENTICATED } from '../../common/http/api-docs';
import type { Permission } from '../../common/auth/permissions';
import { PermissionsGuard, REQUIRED_PERMISSIONS } from './permissions.guard';

/**
 * Enforcement and documentation in one decorator so they cannot drift: the guard metadata,
 * the bearer/cookie security and the 401/403 answers. Routes document their other errors
 * (400, 404) with their own @ApiErrors, never FORBIDDEN/UNAUTHORIZED again.
 */
export function RequirePermissions(...permissions: [Permission, ...Permission[]]) {
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSIONS, permissions),
    SetMetadata(IS_AUTHENTICATED, true),
    UseGuards(PermissionsGuard),
    ApiBearerAuth('bearer'),
    ApiCookieAuth('access-cookie'),
    ApiErrors('UNAUTHORIZED', 'TOKEN_EXPIRED', 'FORBIDDEN'),
  );
}
