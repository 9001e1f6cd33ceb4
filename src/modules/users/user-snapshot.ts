import { type Role, User, type UserStatus } from './user.entity';

/**
 * What a session answer needs of its user (UsersService.toView and the access token), read by
 * a statement of another module that joins app_user as `u` in the same round trip (the
 * refresh rotation): users owns which columns those are and what they make.
 */
export const USER_SNAPSHOT_COLUMNS = `u."id" as "u_id", u."tenant_id" as "u_tenant_id", u."email" as "u_email",
       u."email_verified_at" as "u_email_verified_at", u."phone" as "u_phone",
       u."phone_verified_at" as "u_phone_verified_at", u."first_name" as "u_first_name",
       u."last_name" as "u_last_name", u."roles" as "u_roles", u."status" as "u_status",
       u."is_mfa_enabled" as "u_is_mfa_enabled", u."created_at" as "u_created_at"`;

export interface UserSnapshotRow {
  u_id: string;
  u_tenant_id: string;
  u_email: string | null;
  u_email_verified_at: Date | string | null;
  u_phone: string | null;
  u_phone_verified_at: Date | string | null;
  u_first_name: string | null;
  u_last_name: string | null;
  u_roles: Role[];
  u_status: UserStatus;
  u_is_mfa_enabled: boolean;
  u_created_at: Date | string;
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/**
 * The row as a detached User: em.map() would register it in an identity map and cost more
 * than the rest of the refresh (profiled). Never persisted: it only feeds the answer.
 */
export function userFromSnapshot(row: UserSnapshotRow): User {
  return Object.assign(new User(), {
    id: row.u_id,
    tenantId: row.u_tenant_id,
    email: row.u_email,
    emailVerifiedAt: dateOrNull(row.u_email_verified_at),
    phone: row.u_phone,
    phoneVerifiedAt: dateOrNull(row.u_phone_verified_at),
    firstName: row.u_first_name,
    lastName: row.u_last_name,
    roles: row.u_roles,
    status: row.u_status,
    isMfaEnabled: row.u_is_mfa_enabled,
    createdAt: new Date(row.u_created_at),
  });
}
