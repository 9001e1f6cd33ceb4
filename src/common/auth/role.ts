/** The roles a user may hold. The permission each grants is in permissions.ts. */
export const ROLES = ['user', 'support', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
