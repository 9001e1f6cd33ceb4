import { PERMISSIONS, permissionsOf, rolesGrant } from './permissions';
import type { Role } from './role';

describe('permissions', () => {
  it('should grant a plain user nothing', () => {
    expect(permissionsOf(['user']).size).toBe(0);
  });

  it('should grant admin every permission', () => {
    expect([...permissionsOf(['admin'])].sort()).toEqual([...PERMISSIONS].sort());
  });

  it('should union the permissions of several roles', () => {
    expect(rolesGrant(['support', 'auditor'], 'audit:read')).toBe(true);
    expect(rolesGrant(['support', 'auditor'], 'sessions:revoke')).toBe(true);
    expect(rolesGrant(['support', 'auditor'], 'users:write')).toBe(false);
  });

  it('should not let support write users or read the audit log', () => {
    expect(rolesGrant(['support'], 'users:write')).toBe(false);
    expect(rolesGrant(['support'], 'audit:read')).toBe(false);
    expect(rolesGrant(['support'], 'delivery:write')).toBe(false);
  });

  it('should grant nothing for an unknown role string found in a row', () => {
    expect(permissionsOf(['root' as Role, '__proto__' as Role]).size).toBe(0);
  });
});
