import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignInService } from '../../src/modules/auth/sign-in.service';
import { DeliveryMessage } from '../../src/modules/delivery/delivery-message.entity';
import type { NewPlacePolicy } from '../../src/modules/tenants/tenant.entity';
import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import type { User } from '../../src/modules/users/user.entity';
import { createTenant, createUser } from '../support/factories';
import { writeMmdb } from '../support/mmdb-writer';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { signedInAs } from './admin-support';
import { auditEventsOf, enrolTotp, PASSWORD, totpCode } from './mfa-support';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** Three cities of the test's GeoIP database, and an address it does not cover. */
const LONDON = '81.2.69.142';
const PARIS = '198.51.100.7'; // 344 km from London: a trip too short to judge
const SYDNEY = '192.0.2.9';
const UNKNOWN = '10.20.30.40';

/**
 * The risk signal of API.md "Where a sign-in comes from": a password or code sign-in from a
 * country the user has not signed in from in 90 days meets the tenant's `newPlacePolicy`
 * (a notice in the user's language, or a second factor for that sign-in), and a sign-in no one
 * could have travelled to in time is flagged. Addresses come through TRUST_PROXY's header.
 */
describe('sign-in from a new place (e2e)', () => {
  let dir: string;
  let smtp: SmtpTestServer;
  let sut: TestApp;
  const tenants = {} as Record<NewPlacePolicy, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'geoip-risk-'));
    const path = join(dir, 'City.mmdb');
    const city = (country: string, countryName: string, name: string, latitude: number, longitude: number) => ({
      country: { iso_code: country, names: { en: countryName } },
      city: { names: { en: name } },
      location: { latitude, longitude },
    });
    writeMmdb(path, [
      { network: '81.2.69.0/24', record: city('GB', 'United Kingdom', 'London', 51.5142, -0.0931) },
      { network: '198.51.100.0/24', record: city('FR', 'France', 'Paris', 48.8566, 2.3522) },
      { network: '192.0.2.0/24', record: city('AU', 'Australia', 'Sydney', -33.8688, 151.2093) },
    ]);
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({
      GEOIP_DB_PATH: path,
      TRUST_PROXY: '127.0.0.1',
      THROTTLE_AUTH_LIMIT: '1000',
      SMTP_URL: smtp.url,
    });
    for (const policy of ['notify', 'step_up', 'off'] as const) {
      tenants[policy] = await createTenant(sut, undefined, { settings: { newPlacePolicy: policy } });
    }
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function userIn(policy: NewPlacePolicy | 'default', overrides: Partial<User> = {}): Promise<User> {
    const passwordHash = await sut.app.get(PasswordHasher).hash(PASSWORD);
    return createUser(sut, {
      tenantId: policy === 'default' ? 'default' : tenants[policy],
      passwordHash,
      ...overrides,
    });
  }

  function login(user: User, from: string, extra: Record<string, unknown> = {}, userAgent = 'RiskTest/1.0') {
    return sut.http.post(
      '/api/auth/login',
      { email: user.email, password: PASSWORD, client: 'native', ...extra },
      {
        headers: { 'x-forwarded-for': from, 'x-tenant-id': user.tenantId, 'user-agent': userAgent },
        cookies: false,
      },
    );
  }

  async function signIn(user: User, from: string, extra: Record<string, unknown> = {}, userAgent?: string) {
    const answer = await login(user, from, extra, userAgent);
    expect(answer.status).toBe(200);
    expect(answer.body.accessToken).toEqual(expect.any(String));
    return answer.body as { accessToken: string; sessionId: string };
  }

  /** The app as the user's own clients call it: with their tenant's header. */
  const inTenantOf = (user: User): TestApp => ({ ...sut, http: sut.http.fork({ 'x-tenant-id': user.tenantId }) });

  /** Notices are queued by the sign-in's listener once it committed, so their rows are there when it answers. */
  const placeNoticesOf = (user: User) =>
    sut.app.get(EntityManager).fork().find(DeliveryMessage, { userId: user.id, purpose: 'new_place' });

  describe('policy notify (the default)', () => {
    it("should email a notice in the user's language for a country not seen before, once", async () => {
      const user = await userIn('default', { locale: 'de' });
      await signIn(user, LONDON); // The first sign-in is the account's own start, not news.
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(0);

      await signIn(user, PARIS);
      const mail = await smtp.waitForMail(user.email!);
      expect(mail.headers.subject).toBe('Anmeldung von einem neuen Ort');
      expect(mail.body).toContain('Paris, Frankreich');
      expect(mail.body).toContain(PARIS);
      const [event] = await auditEventsOf(sut, user.id, 'login.new_place');
      expect(event).toMatchObject({ outcome: 'success', country: 'FR', city: 'Paris' });
      expect(event.data).toEqual({ countryCode: 'FR', city: 'Paris', policy: 'notify', action: 'notice' });
      // 344 km: a trip GeoIP cannot tell from staying put, so not judged as travel.
      expect(await auditEventsOf(sut, user.id, 'login.impossible_travel')).toHaveLength(0);

      // Both countries are now known: neither is news again.
      await signIn(user, PARIS);
      await signIn(user, LONDON);
      expect(await placeNoticesOf(user)).toHaveLength(1);
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(1);
    });

    it('should treat a country last seen more than 90 days ago as new again', async () => {
      const user = await userIn('default');
      await signIn(user, LONDON);
      await signIn(user, PARIS);
      await smtp.waitForMail(user.email!);
      await sut.app
        .get(EntityManager)
        .getConnection()
        .execute(
          `update "sign_in_place" set "last_seen_at" = now() - interval '91 days' where "user_id" = ? and "country_code" = 'GB'`,
          [user.id],
        );
      await signIn(user, LONDON);
      const mail = await smtp.waitForMail(user.email!, { skip: 1 });
      expect(mail.headers.subject).toBe('Sign-in from a new place');
      expect(mail.body).toContain('London, United Kingdom');
      expect(mail.body).toContain('where it has not been used in the last 90 days');
    });

    it('should judge nothing for an address the database does not know', async () => {
      const user = await userIn('default');
      await signIn(user, UNKNOWN);
      await signIn(user, PARIS); // The first known place: not news.
      await signIn(user, UNKNOWN);
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(0);
      expect(await placeNoticesOf(user)).toHaveLength(0);
    });

    it('should not judge a passkey sign-in (phishing-resistant), yet remember where it came from', async () => {
      const user = await userIn('default');
      await signIn(user, LONDON);
      // The end of PasskeyLoginService's flow, from Paris.
      const ctx = { requestId: randomUUID(), ip: PARIS, userAgent: 'RiskTest/1.0', tenantId: user.tenantId };
      await sut.app.get(SignInService).startSession({ user, amr: ['hwk', 'user'], method: 'passkey', ctx }, 1);
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(0);
      // Paris is known now: a password sign-in from there is no news either.
      await signIn(user, PARIS);
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(0);
      expect(await placeNoticesOf(user)).toHaveLength(0);
    });
  });

  describe('impossible travel', () => {
    it('should flag a sign-in farther from the previous one than 1,000 km/h allows, in the audit and the admin view', async () => {
      const user = await userIn('default');
      const admin = await signedInAs(sut, ['admin']);
      const view = () => sut.http.get(`/api/admin/users/${user.id}`, { token: admin.token });

      await signIn(user, LONDON);
      await signIn(user, PARIS);
      expect((await view()).body.impossibleTravel).toBeNull();

      await signIn(user, SYDNEY);
      const [event] = await auditEventsOf(sut, user.id, 'login.impossible_travel');
      expect(event).toMatchObject({ outcome: 'success', country: 'AU', city: 'Sydney' });
      expect(event.data).toMatchObject({ fromCountry: 'FR', fromCity: 'Paris', toCountry: 'AU', toCity: 'Sydney' });
      expect((event.data as { distanceKm: number }).distanceKm).toBeGreaterThan(16_000);
      expect((event.data as { distanceKm: number }).distanceKm).toBeLessThan(17_500);

      const flagged = await view();
      expect(flagged.status).toBe(200);
      expect(flagged.body.impossibleTravel).toMatchObject({
        at: event.createdAt.toISOString(),
        fromCountry: 'FR',
        fromCity: 'Paris',
        toCountry: 'AU',
        toCity: 'Sydney',
        distanceKm: (event.data as { distanceKm: number }).distanceKm,
      });
      expect(flagged.body.impossibleTravel.speedKmh).toBeGreaterThan(1000);
    });
  });

  describe('policy step_up', () => {
    it('should ask a user without a factor for an emailed code, and remember the place once it is given', async () => {
      const user = await userIn('step_up');
      await signIn(user, LONDON);

      const challenged = await login(user, PARIS);
      expect(challenged.status).toBe(200);
      expect(challenged.body).toEqual({
        mfaRequired: true,
        mfaToken: expect.any(String),
        methods: ['email'],
        reason: 'new_place',
      });
      const [event] = await auditEventsOf(sut, user.id, 'login.new_place');
      expect(event.data).toMatchObject({ countryCode: 'FR', policy: 'step_up', action: 'second_factor' });

      const mfaToken = challenged.body.mfaToken as string;
      const headers = { 'x-forwarded-for': PARIS, 'x-tenant-id': user.tenantId };
      // Only the offered method: the user has no authenticator app to guess codes for.
      const wrongMethod = await sut.http.post(
        '/api/auth/mfa/verify',
        { mfaToken, method: 'totp', code: '123456' },
        { headers, cookies: false },
      );
      expect(wrongMethod.status).toBe(401);
      expect(wrongMethod.body.code).toBe('MFA_INVALID');

      const sent = await sut.http.post('/api/auth/mfa/email/send', { mfaToken }, { headers, cookies: false });
      expect(sent.status).toBe(202);
      const code = await smtp.waitForCode(user.email!);
      const verified = await sut.http.post(
        '/api/auth/mfa/verify',
        { mfaToken, method: 'email', code, client: 'native' },
        { headers, cookies: false },
      );
      expect(verified.status).toBe(200);
      expect(claimsOf(verified.body.accessToken)).toMatchObject({ aal: 2, amr: ['pwd', 'otp', 'mfa'] });

      // The place is known now; a step-up is its own answer, so no notice besides.
      await signIn(user, PARIS);
      expect(await placeNoticesOf(user)).toHaveLength(0);
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(1);
    });

    it('should give someone holding only the password no session from a new country', async () => {
      const user = await userIn('step_up');
      await signIn(user, LONDON);
      const challenged = await login(user, SYDNEY);
      const headers = { 'x-forwarded-for': SYDNEY, 'x-tenant-id': user.tenantId };
      for (const code of ['000000', '111111', '222222']) {
        const guess = await sut.http.post(
          '/api/auth/mfa/verify',
          { mfaToken: challenged.body.mfaToken, method: 'email', code },
          { headers, cookies: false },
        );
        expect(guess.status).toBe(401);
      }
      const successes = await auditEventsOf(sut, user.id, 'login.succeeded');
      expect(successes).toHaveLength(1);
      expect(successes[0].country).toBe('GB');
      // Nor is the place remembered: the next attempt from there is challenged again.
      expect((await login(user, SYDNEY)).body.reason).toBe('new_place');
    });

    it("should add the reason to a user's own challenge and accept their authenticator", async () => {
      const user = await userIn('step_up');
      const { accessToken } = await signIn(user, LONDON);
      const { secret } = await enrolTotp(inTenantOf(user), accessToken);
      // A factor means a challenge everywhere; from a new place it says why besides.
      const home = await login(user, LONDON);
      expect(home.body.reason).toBeUndefined();
      const away = await login(user, PARIS);
      expect(away.body).toMatchObject({ mfaRequired: true, reason: 'new_place' });
      expect(away.body.methods).toEqual(['totp', 'recovery_code']);
      const verified = await sut.http.post(
        '/api/auth/mfa/verify',
        { mfaToken: away.body.mfaToken, method: 'totp', code: totpCode(secret) },
        { headers: { 'x-forwarded-for': PARIS, 'x-tenant-id': user.tenantId }, cookies: false },
      );
      expect(verified.status).toBe(200);
      expect(claimsOf(verified.body.accessToken).aal).toBe(2);
    });

    it('should let a trusted app device named by its id through, but not a trusted browser known by its User-Agent', async () => {
      const user = await userIn('step_up');
      const { http } = inTenantOf(user);
      const trust = async (token: string, name: string) => {
        const devices = (await http.get('/api/devices', { token })).body as Array<{ id: string; name: string }>;
        const device = devices.find((d) => d.name === name)!;
        expect((await http.patch(`/api/devices/${device.id}`, { trusted: true }, { token })).status).toBe(200);
      };
      const laptop = { id: randomUUID(), name: 'Work laptop' };
      await trust((await signIn(user, LONDON, { device: laptop }, 'Laptop/2.0')).accessToken, 'Work laptop');
      // A browser has no id of its own: it is known by its User-Agent, which anyone can send.
      await trust((await signIn(user, LONDON, { device: { name: 'Browser' } }, 'Browser/1.0')).accessToken, 'Browser');

      await signIn(user, PARIS, { device: laptop }, 'Laptop/2.0');
      expect((await login(user, SYDNEY, {}, 'Browser/1.0')).body.reason).toBe('new_place');
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(1);
    });

    it('should notify instead when the only second proof would be the mailbox the code just proved', async () => {
      const user = await userIn('step_up');
      await signIn(user, LONDON);
      // The device of the password sign-in (a new one would bring its own notice).
      const headers = { 'x-forwarded-for': PARIS, 'x-tenant-id': user.tenantId, 'user-agent': 'RiskTest/1.0' };
      const sent = await sut.http.post('/api/auth/send-otp', { email: user.email }, { headers, cookies: false });
      expect(sent.status).toBe(202);
      const otp = await smtp.waitForCode(user.email!);
      const verified = await sut.http.post(
        '/api/auth/verify-otp',
        { email: user.email, otp, client: 'native' },
        { headers, cookies: false },
      );
      expect(verified.status).toBe(200);
      expect(verified.body.accessToken).toEqual(expect.any(String));
      const [event] = await auditEventsOf(sut, user.id, 'login.new_place');
      expect(event.data).toMatchObject({ countryCode: 'FR', policy: 'step_up', action: 'notice' });
      const notice = await smtp.waitForMail(user.email!, { skip: 1 });
      expect(notice.headers.subject).toBe('Sign-in from a new place');
    });

    it('should say on the hosted pages why a second step is asked', async () => {
      const user = await userIn('step_up');
      await signIn(user, LONDON);
      const browser = sut.http.fork({ 'x-forwarded-for': PARIS });
      const page = await browser.get(`/signin?tenant=${user.tenantId}`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      const form = new URLSearchParams({ _csrf: csrf, tenant: user.tenantId, email: user.email!, password: PASSWORD });
      const posted = await browser.post('/signin', undefined, {
        raw: { payload: form.toString(), contentType: 'application/x-www-form-urlencoded' },
      });
      expect(posted.status).toBe(303);
      const next = posted.headers.get('location')!;
      expect(next).toMatch(/^\/signin\/mfa/);
      const challenge = await browser.get(next);
      expect(challenge.text).toContain('This sign-in comes from a place your account has not been used from recently');
      expect(challenge.text).toContain('action="/signin/mfa/email"');
      expect(browser.jar.has('sa_access')).toBe(false);
    });
  });

  describe('policy off', () => {
    it('should neither notify nor ask, but still flag impossible travel', async () => {
      const user = await userIn('off');
      await signIn(user, LONDON);
      await signIn(user, SYDNEY);
      expect(await auditEventsOf(sut, user.id, 'login.new_place')).toHaveLength(0);
      expect(await placeNoticesOf(user)).toHaveLength(0);
      expect(await auditEventsOf(sut, user.id, 'login.impossible_travel')).toHaveLength(1);
    });
  });
});
