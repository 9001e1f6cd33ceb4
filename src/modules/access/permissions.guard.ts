import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { User } from '../users/user.entity';
import type { Permission } from '../../common/auth/permissions';
import { PermissionsService } from './permissions.service';

export const REQUIRED_PERMISSIONS = 'secureauth:requiredPermissions';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's user row as PostgreSQL had it when PermissionsGuard let the request through. */
    liveUser?: import('../users/user.entity').User;
  }
}

/**
 * Runs after the global authentication guard (request.auth is set) and requires every listed
 * permission from the caller's live roles.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly permissions: PermissionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required =
      this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    let user: User | undefined;
    for (const permission of required) user = await this.permissions.assertLive(request.auth, permission);
    request.liveUser = user;
    return true;
  }
}
