import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import { findPage } from '../../common/http/cursor';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { DevicesService } from '../devices/devices.service';
import { DeviceSessionsService } from '../sessions/device-sessions.service';
import { LiveSessionPublisher } from '../sessions/live-session-publisher.service';
import { SessionQueries } from '../sessions/session-queries.service';
import { SessionRevoker } from '../sessions/session-revoker.service';
import { ROLES, User, type AdminStatus, type Role, type UserStatus } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { AdminScope } from './admin-scope';
import type { AdminUserDetailDto, AdminUserDto, ImpossibleTravelDto, UpdateUserDto } from './dto/admin-user.dto';

export interface UserFilters {
  query?: string;
  status?: UserStatus;
  role?: Role;
  limit: number;
  cursor?: string;
}

/** Who changes roles: an admin over HTTP, or an operator at the CLI (no user). */
export interface RoleChangeActor {
  actorId: string | null;
  via: 'admin' | 'cli';
  /** An admin with reach across tenants; with operators, the only ones who may remove a tenant's last admin. */
  isPlatformAdmin?: boolean;
}

/** Active users holding `admin` in a tenant, locked in id order so that concurrent changes queue instead of deadlocking. */
const LOCK_ACTIVE_ADMINS_SQL = `
select "id" from "app_user"
 where "tenant_id" = ? and "status" = 'active' and 'admin' = any("roles")
 order by "id"
   for update`;

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (char) => `\\${char}`);

/** How long an impossible trip stays flagged in the user view (the audit keeps it as long as its retention). */
const IMPOSSIBLE_TRAVEL_FLAG_DAYS = 90;

/** Session revocation reasons, recorded on the session rows. */
const REASON_RESTRICTED = 'user_restricted';
const REASON_ADMIN = 'admin_revoked';

@Injectable()
export class AdminUsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly sessions: SessionQueries,
    private readonly revoker: SessionRevoker,
    private readonly liveSessions: LiveSessionPublisher,
    private readonly devices: DevicesService,
    private readonly deviceSessions: DeviceSessionsService,
  ) {}

  /** Newest first, keyset-paginated over (createdAt, id): pages stay stable while users sign up. */
  async list(scope: AdminScope, filters: UserFilters) {
    const conditions: FilterQuery<User>[] = [];
    if (filters.query) {
      const prefix = `${escapeLike(filters.query.trim())}%`;
      conditions.push({
        $or: [
          { email: { $ilike: prefix } },
          { phone: { $like: prefix } },
          { firstName: { $ilike: prefix } },
          { lastName: { $ilike: prefix } },
        ],
      });
    }
    const where: FilterQuery<User> = {
      ...(scope.tenantId !== undefined ? { tenantId: scope.tenantId } : {}),
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.role ? { roles: { $contains: [filters.role] } } : {}),
      $and: conditions,
    };
    return findPage(this.em, User, where, filters, (user) => this.toAdminView(user));
  }

  async get(scope: AdminScope, id: string): Promise<AdminUserDetailDto> {
    const user = await this.findInScope(scope, id);
    // One after the other: both use the request's EntityManager, which is not meant for parallel queries.
    const liveSessions = await this.deviceSessions.liveCountsByDevice(user.tenantId, user.id);
    const devices = await this.devices.listFor(user.tenantId, user.id, liveSessions);
    const sessions = await this.sessions.listLive(user.tenantId, user.id);
    return { ...this.toAdminView(user), devices, sessions, impossibleTravel: await this.impossibleTravelOf(user) };
  }

  async update(scope: AdminScope, id: string, input: UpdateUserDto, ctx: RequestContext): Promise<AdminUserDto> {
    const user = await this.findInScope(scope, id);
    assertMayManage(scope, user);
    assertNotDeleted(user);
    const actor: RoleChangeActor = {
      actorId: scope.actor.userId,
      via: 'admin',
      isPlatformAdmin: scope.actor.isPlatformAdmin,
    };
    if (input.roles !== undefined) await this.changeRoles(actor, user, input.roles, ctx);
    if (input.status !== undefined) await this.changeStatus(actor, user, input.status, ctx);
    return this.toAdminView(user);
  }

  /** DELETE /api/admin/users/:id/sessions: every session of the user, audited with the admin as actor. */
  async revokeSessions(scope: AdminScope, id: string, ctx: RequestContext): Promise<void> {
    const user = await this.findInScope(scope, id);
    assertMayManage(scope, user);
    const revoked = await this.revoker.revoke({ tenantId: user.tenantId, userId: user.id }, REASON_ADMIN, ctx);
    await this.audit.record(
      {
        type: 'admin.sessions_revoked',
        outcome: 'success',
        tenantId: user.tenantId,
        actorId: scope.actor.userId,
        subjectId: user.id,
        data: { revoked },
      },
      ctx,
    );
  }

  /**
   * Replaces the roles (committed with its audit event), then rewrites the live sessions so
   * the tokens' roles follow; permission checks read the row anyway, so a demotion bites at once.
   */
  async changeRoles(actor: RoleChangeActor, user: User, roles: Role[], ctx?: RequestContext): Promise<void> {
    const to = ROLES.filter((role) => roles.includes(role));
    await this.em.transactional(async (tx) => {
      const otherAdmins = to.includes('admin') ? undefined : await this.lockActiveAdmins(tx, user);
      // Locked re-read: the audit event's "from" is what the row really held, even under concurrent changes.
      const row = await tx.findOneOrFail(
        User,
        { id: user.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      const from = [...row.roles];
      if (from.length === to.length && from.every((role) => to.includes(role))) return;
      if (otherAdmins !== undefined) assertNotLastAdmin(actor, row, otherAdmins);
      row.roles = to;
      await this.audit.record(
        {
          type: 'role.changed',
          outcome: 'success',
          tenantId: row.tenantId,
          actorId: actor.actorId,
          subjectId: row.id,
          data: { from, to, via: actor.via },
        },
        ctx,
        tx,
      );
    });
    user.roles = to;
    // Also when unchanged: a retry after a failure here must still bring the sessions in line.
    await this.liveSessions.updateRoles(user.tenantId, user.id, to);
  }

  /** Platform admin = role admin + reach across tenants; only the CLI grants it. */
  async grantPlatformAdmin(actor: RoleChangeActor, user: User, ctx?: RequestContext): Promise<void> {
    await this.em.transactional(async (tx) => {
      const row = await tx.findOneOrFail(
        User,
        { id: user.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      if (row.isPlatformAdmin) return;
      row.isPlatformAdmin = true;
      await this.audit.record(
        {
          type: 'role.changed',
          outcome: 'success',
          tenantId: row.tenantId,
          actorId: actor.actorId,
          subjectId: row.id,
          data: { platformAdmin: { from: false, to: true }, via: actor.via },
        },
        ctx,
        tx,
      );
    });
    user.isPlatformAdmin = true;
    await this.changeRoles(actor, user, [...user.roles, 'admin'], ctx);
  }

  /** Restricting or disabling cuts the user off: the row first (sign-in refuses it), then every session. */
  async changeStatus(actor: RoleChangeActor, user: User, status: AdminStatus, ctx?: RequestContext) {
    const changed = await this.em.transactional(async (tx) => {
      const otherAdmins = status === 'active' ? undefined : await this.lockActiveAdmins(tx, user);
      const row = await tx.findOneOrFail(
        User,
        { id: user.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      // Deleted meanwhile: an admin must not bring it back (its sessions are gone, its purge is due).
      assertNotDeleted(row);
      const from = row.status;
      if (from === status) return false;
      if (otherAdmins !== undefined) assertNotLastAdmin(actor, row, otherAdmins);
      row.status = status;
      await this.audit.record(
        {
          type: status === 'active' ? 'user.updated' : 'user.restricted',
          outcome: 'success',
          tenantId: row.tenantId,
          actorId: actor.actorId,
          subjectId: row.id,
          data: { status: { from, to: status }, via: actor.via },
        },
        ctx,
        tx,
      );
      return true;
    });
    user.status = status;
    // Also when unchanged: a retried PATCH must still leave no live session behind.
    if (status !== 'active') {
      await this.revoker.revoke({ tenantId: user.tenantId, userId: user.id }, REASON_RESTRICTED, ctx);
    }
    return changed;
  }

  /**
   * The other active admins of the user's tenant, with every active admin row of the tenant
   * locked until the transaction ends: two admins demoting each other at once are decided one
   * after the other, so the second sees the first's change and the tenant keeps an admin.
   */
  private async lockActiveAdmins(tx: EntityManager, user: User): Promise<string[]> {
    const rows = await tx.execute<Array<{ id: string }>>(LOCK_ACTIVE_ADMINS_SQL, [user.tenantId]);
    return rows.map((row) => row.id).filter((id) => id !== user.id);
  }

  /** Inside the scope or NOT_FOUND: another tenant's user is indistinguishable from no user. */
  private async impossibleTravelOf(user: User): Promise<ImpossibleTravelDto | null> {
    const since = new Date(Date.now() - IMPOSSIBLE_TRAVEL_FLAG_DAYS * 86_400_000);
    const event = await this.audit.latestOf(user.tenantId, user.id, 'login.impossible_travel', since);
    if (!event?.data) return null;
    const trip = event.data as Omit<ImpossibleTravelDto, 'at'>;
    return {
      at: event.createdAt.toISOString(),
      previousAt: trip.previousAt,
      fromCountry: trip.fromCountry,
      fromCity: trip.fromCity,
      toCountry: trip.toCountry,
      toCity: trip.toCity,
      distanceKm: trip.distanceKm,
      speedKmh: trip.speedKmh,
    };
  }

  private async findInScope(scope: AdminScope, id: string): Promise<User> {
    const user = await this.em.findOne(User, {
      id,
      ...(scope.tenantId !== undefined ? { tenantId: scope.tenantId } : {}),
    });
    if (!user) throw new AppException('NOT_FOUND');
    return user;
  }

  toAdminView(user: User): AdminUserDto {
    return {
      ...this.users.toView(user),
      isPlatformAdmin: user.isPlatformAdmin,
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}

/** The owner deleted it: nothing about it changes any more but its purge. */
function assertNotDeleted(user: User): void {
  if (user.status === 'deleted') {
    throw AppException.saying('CONFLICT', 'The owner deleted this account; it can no longer be changed.');
  }
}

/** Platform admins are changed (roles, status, sessions) by platform admins only, never by a tenant's own admin. */
function assertMayManage(scope: AdminScope, user: User): void {
  if (user.isPlatformAdmin && !scope.actor.isPlatformAdmin) throw new AppException('FORBIDDEN');
}

/**
 * A tenant keeps at least one active admin: removing the last one (demoting, restricting or
 * disabling them, themselves included) is a CONFLICT, except for a platform admin or an
 * operator at the CLI, who can restore one.
 */
function assertNotLastAdmin(actor: RoleChangeActor, row: User, otherAdmins: string[]): void {
  if (actor.via === 'cli' || actor.isPlatformAdmin) return;
  const isActiveAdmin = row.status === 'active' && row.roles.includes('admin');
  if (isActiveAdmin && otherAdmins.length === 0) throw new AppException('CONFLICT');
}
