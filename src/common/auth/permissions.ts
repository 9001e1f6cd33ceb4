import type { Role } from './role';

/** What an admin route needs; roles only ever reach routes through this map. */
export const PERMISSIONS = [
  'users:read',
  'users:write',
  'sessions:revoke',
  'audit:read',
  'delivery:read',
  'delivery:write',
  'tenants:read',
  'tenants:write',
  'clients:read',
  'clients:write',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The one role -> permission map of the service (API.md "Administration"). */
export const ROLE_PERMISSIONS = {
  user: [],
  support: ['users:read', 'sessions:revoke', 'delivery:read'],
  auditor: ['users:read', 'audit:read', 'delivery:read', 'tenants:read', 'webhooks:read'],
  admin: PERMISSIONS,
} as const satisfies Record<Role, readonly Permission[]>;

export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  // Unknown strings in a roles column (a hand-edited row) grant nothing.
  return new Set(
    roles.flatMap((role): readonly Permission[] =>
      Object.hasOwn(ROLE_PERMISSIONS, role) ? ROLE_PERMISSIONS[role] : [],
    ),
  );
}

export function rolesGrant(roles: readonly Role[], permission: Permission): boolean {
  return permissionsOf(roles).has(permission);
}
