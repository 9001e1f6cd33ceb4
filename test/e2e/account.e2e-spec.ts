import { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { DeliveryMessage } from '../../src/modules/delivery/delivery-message.entity';
import { eventually } from '../support/eventually';
import { TestClock } from '../support/test-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { signedInUser } from './mfa-support';

/** API.md "Account self-service": the account, its profile and settings. */
describe('account profile and settings (/api/account)', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_ENABLED: 'false' });
  });
  afterAll(() => sut.close());

  const get = (token: string) => sut.http.get('/api/account', { token, cookies: false });
  const patch = (path: string, token: string, body: unknown) =>
    sut.http.request('PATCH', `/api/account/${path}`, { token, body, cookies: false });

  it('should answer the account with the defaults of settings never chosen', async () => {
    const { user, token } = await signedInUser(sut, { firstName: 'Ada' });
    const response = await get(token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: user.id,
      tenantId: 'default',
      email: user.email,
      emailVerified: true,
      phone: null,
      phoneVerified: false,
      profile: { firstName: 'Ada', lastName: null, photoUrl: null, country: null, locale: null },
      settings: { theme: 'auto', notifications: { email: true, sms: false }, privacy: { publicView: false } },
      createdAt: expect.any(String),
    });
  });

  it('should set the fields given, clear the ones given as null, keep the others, and show them in /me', async () => {
    const { user, token } = await signedInUser(sut, { firstName: 'Ada', lastName: 'Byron' });
    const changed = await patch('profile', token, {
      lastName: null,
      photoUrl: 'https://example.com/ada.png',
      country: 'GB',
      locale: 'en-gb',
    });
    expect(changed.status).toBe(200);
    const profile = {
      firstName: 'Ada',
      lastName: null,
      photoUrl: 'https://example.com/ada.png',
      country: 'GB',
      locale: 'en-GB',
    };
    expect(changed.body.profile).toEqual(profile);
    expect((await sut.http.get('/api/auth/me', { token, cookies: false })).body.user.profile).toEqual(profile);
    const events = await sut.app
      .get(EntityManager)
      .fork()
      .find(AuditEvent, { subjectId: user.id, type: 'user.updated' });
    expect(events.map((event) => event.data)).toEqual([{ fields: ['lastName', 'photoUrl', 'country', 'locale'] }]);
  });

  it.each([
    ['an http photo', { photoUrl: 'http://example.com/ada.png' }, 'photoUrl'],
    ['a javascript: photo', { photoUrl: 'javascript:alert(1)' }, 'photoUrl'],
    ['an unassigned country', { country: 'EU' }, 'country'],
    ['a lower-case country', { country: 'gb' }, 'country'],
    ['a malformed language tag', { locale: 'de_DE' }, 'locale'],
    ['a name over 100 characters', { firstName: 'x'.repeat(101) }, 'firstName'],
    ['an unknown field', { email: 'other@example.com' }, 'email'],
  ])('should refuse %s with 400 on its field', async (_name, body, field) => {
    const { token } = await signedInUser(sut);
    const response = await patch('profile', token, body);
    expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(response.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
  });

  it('should merge settings key by key', async () => {
    const { token } = await signedInUser(sut);
    await patch('settings', token, { theme: 'dark', notifications: { sms: true } });
    const merged = await patch('settings', token, { notifications: { email: false }, privacy: { publicView: true } });
    expect(merged.status).toBe(200);
    expect(merged.body.settings).toEqual({
      theme: 'dark',
      notifications: { email: false, sms: true },
      privacy: { publicView: true },
    });
    const refused = await patch('settings', token, { theme: 'neon', notifications: { email: 'yes' } });
    expect(refused.status).toBe(400);
    expect((await get(token)).body.settings.theme).toBe('dark');
  });

  it('should keep each account to its owner, and answer 401 without a session', async () => {
    const first = await signedInUser(sut);
    const second = await signedInUser(sut);
    await patch('profile', first.token, { firstName: 'First' });
    expect((await get(second.token)).body.profile.firstName).not.toBe('First');
    expect((await sut.http.get('/api/account', { cookies: false })).status).toBe(401);
  });

  it('should export everything held about the caller, without a secret, as an attachment', async () => {
    const { user, token } = await signedInUser(sut, { passwordHash: 'argon2id-hash-must-not-leak' });
    expect((await sut.http.post('/api/auth/password/forgot', { email: user.email }, { cookies: false })).status).toBe(
      202,
    );
    await eventually('the reset code to be queued', async () =>
      (await sut.app.get(EntityManager).fork().count(DeliveryMessage, { userId: user.id })) === 1 ? true : undefined,
    );
    const response = await sut.http.get('/api/account/export', { token, cookies: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="account-export.json"');
    expect(response.body).toMatchObject({
      account: { id: user.id, email: user.email },
      sessions: [expect.objectContaining({ current: true })],
      mfa: { totp: { enabled: false }, email: { enabled: false }, passkeys: [], recoveryCodes: { remaining: 0 } },
      history: expect.arrayContaining([expect.objectContaining({ type: 'password.reset_requested' })]),
      deliveries: [expect.objectContaining({ purpose: 'password_reset', destination: expect.stringContaining('*') })],
    });
    expect(response.text).not.toContain('argon2id-hash-must-not-leak');
    const events = await sut.app
      .get(EntityManager)
      .fork()
      .count(AuditEvent, { subjectId: user.id, type: 'account.exported' });
    expect(events).toBe(1);
  });

  it('should need a recent sign-in to export', async () => {
    const { token } = await signedInUser(sut);
    TestClock.of(sut).advance(601_000);
    try {
      const response = await sut.http.get('/api/account/export', { token, cookies: false });
      expect([response.status, response.body.code]).toEqual([401, 'REAUTH_REQUIRED']);
    } finally {
      TestClock.of(sut).reset();
    }
  });
});
