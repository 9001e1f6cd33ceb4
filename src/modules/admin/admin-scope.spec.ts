import { scopeFor } from './admin-scope';

describe('scopeFor', () => {
  const admin = { userId: 'u1', tenantId: 'acme', isPlatformAdmin: false };
  const platform = { ...admin, isPlatformAdmin: true };

  it('should keep a tenant admin in their own tenant', () => {
    expect(scopeFor(admin, undefined).tenantId).toBe('acme');
    expect(scopeFor(admin, 'acme').tenantId).toBe('acme');
  });

  it('should refuse a tenant admin who names another tenant', () => {
    expect(() => scopeFor(admin, 'globex')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('should let a platform admin choose a tenant, or every tenant when none is named', () => {
    expect(scopeFor(platform, 'globex').tenantId).toBe('globex');
    expect(scopeFor(platform, undefined).tenantId).toBeUndefined();
  });
});
