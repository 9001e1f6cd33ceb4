import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { User } from '../users/user.entity';
import { AppException } from '../../common/errors';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { rolesGrant, type Permission } from '../../common/auth/permissions';

/**
 * Authorisation against the live user row, not the token: the roles in an access token are
 * a snapshot, so a demoted, restricted or disabled admin must lose access at the next request.
 */
@Injectable()
export class PermissionsService {
  constructor(private readonly em: EntityManager) {}

  /** The caller's current user row when it is active and its current roles grant `permission`; else FORBIDDEN. */
  async assertLive(auth: AuthPrincipal | undefined, permission: Permission): Promise<User> {
    const user = await this.liveUser(auth);
    if (!rolesGrant(user.roles, permission)) throw new AppException('FORBIDDEN');
    return user;
  }

  /**
   * The caller's current user row when it is an active admin with reach across tenants; else
   * FORBIDDEN. For what every tenant shares (the one delivery queue): a tenant's own admin
   * must not pause or empty another tenant's deliveries.
   */
  async assertLivePlatformAdmin(auth: AuthPrincipal | undefined): Promise<User> {
    const user = await this.liveUser(auth);
    if (!user.isPlatformAdmin || !user.roles.includes('admin')) throw new AppException('FORBIDDEN');
    return user;
  }

  private async liveUser(auth: AuthPrincipal | undefined): Promise<User> {
    if (!auth) throw new AppException('UNAUTHORIZED');
    // A fork: the row must come from PostgreSQL now, never from an identity map filled earlier.
    const user = await this.em
      .fork()
      .findOne(User, { id: auth.userId, tenantId: auth.tenantId }, { disableIdentityMap: true });
    if (!user || user.status !== 'active') throw new AppException('FORBIDDEN');
    return user;
  }
}
