import { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTenant, signedInAs, tenantHeader } from './admin-support';

/** API.md settled details: GET and PATCH /api/admin/tenant, the caller's own tenant and its settings. */
describe('tenant settings over the admin API (/api/admin/tenant)', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_ENABLED: 'false' });
  });
  afterAll(() => sut.close());

  const patch = (token: string, tenantId: string, body: unknown, query = '') =>
    sut.http.request('PATCH', `/api/admin/tenant${query}`, {
      token,
      body,
      headers: tenantHeader(tenantId),
      cookies: false,
    });
  const get = (token: string, tenantId: string, query = '') =>
    sut.http.get(`/api/admin/tenant${query}`, { token, headers: tenantHeader(tenantId), cookies: false });

  it("should merge the keys given into the admin's tenant, audited with the admin, and show them", async () => {
    const tenantId = await createTenant(sut, undefined, { settings: { passwordMinLength: 12 } });
    const admin = await signedInAs(sut, ['admin'], { tenantId });
    const changed = await patch(admin.token, tenantId, {
      displayName: 'Acme <Corp>',
      logoUrl: 'https://acme.example/logo.svg',
      primaryColor: '#0b5fff',
      locale: 'de',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({
      id: tenantId,
      name: tenantId,
      active: true,
      settings: {
        passwordMinLength: 12,
        displayName: 'Acme <Corp>',
        logoUrl: 'https://acme.example/logo.svg',
        primaryColor: '#0b5fff',
        locale: 'de',
      },
    });
    expect((await get(admin.token, tenantId)).body).toEqual(changed.body);
    const events = await sut.app
      .get(EntityManager)
      .fork()
      .find(AuditEvent, { tenantId, type: 'tenant.settings_changed' });
    expect(events.map((event) => event.actorId)).toEqual([admin.id]);
  });

  it.each([
    ['an http logo', { logoUrl: 'http://acme.example/logo.svg' }, 'logoUrl'],
    ['a javascript: logo', { logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
    ['a colour that could break out of CSS', { primaryColor: 'red;}body{display:none' }, 'primaryColor'],
    ['an empty name', { displayName: '' }, 'displayName'],
    ['an unknown key', { theme: 'dark' }, 'theme'],
    ['an idle lifetime beyond the refresh lifetime', { refreshTokenTtl: 3600, sessionIdleTtl: 7200 }, 'sessionIdleTtl'],
    ['no OTP channel', { allowedOtpChannels: [] }, 'allowedOtpChannels'],
  ])('should refuse %s with 400 on its field, changing nothing', async (_name, body, field) => {
    const tenantId = await createTenant(sut);
    const admin = await signedInAs(sut, ['admin'], { tenantId });
    const response = await patch(admin.token, tenantId, body);
    expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(response.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect((await get(admin.token, tenantId)).body.settings).toEqual({});
  });

  it('should let auditors read and only admins write', async () => {
    const tenantId = await createTenant(sut);
    const auditor = await signedInAs(sut, ['auditor'], { tenantId });
    const support = await signedInAs(sut, ['support'], { tenantId });
    expect((await get(auditor.token, tenantId)).status).toBe(200);
    expect((await patch(auditor.token, tenantId, { displayName: 'Mine now' })).status).toBe(403);
    expect((await get(support.token, tenantId)).status).toBe(403);
  });

  it("should keep a tenant's admin out of another tenant, and let a platform admin in", async () => {
    const mine = await createTenant(sut);
    const theirs = await createTenant(sut);
    const admin = await signedInAs(sut, ['admin'], { tenantId: mine });
    const across = await patch(admin.token, mine, { displayName: 'Hijacked' }, `?tenantId=${theirs}`);
    expect([across.status, across.body.code]).toEqual([403, 'FORBIDDEN']);
    const platform = await signedInAs(sut, ['admin'], { tenantId: 'default', isPlatformAdmin: true });
    const changed = await patch(platform.token, 'default', { displayName: 'Theirs' }, `?tenantId=${theirs}`);
    expect([changed.status, changed.body.settings.displayName]).toEqual([200, 'Theirs']);
    const unknown = await get(platform.token, 'default', '?tenantId=no-such-tenant');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
  });
});
