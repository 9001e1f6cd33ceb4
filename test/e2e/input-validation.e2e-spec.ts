import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { DestinationHasher } from '../../src/modules/delivery/destination-hasher';
import { PendingRegistration } from '../../src/modules/users/pending-registration.entity';
import { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser, signedInAs } from './admin-support';
import { createSuppression } from '../support/factories';

const PASSWORD = 'correct horse battery staple';
const LONE_SURROGATES = ['\ud800', '\udfff', 'ada\ud83d@example.com', '\ude00ada@example.com', 'ada@exa\udbffmple.com'];

/** Every route with an email in its body, filled validly but for the email. */
const EMAIL_ROUTES: Array<[path: string, body: (email: string) => Record<string, unknown>]> = [
  ['/api/auth/register', (email) => ({ email, password: PASSWORD })],
  ['/api/auth/email/resend', (email) => ({ email })],
  ['/api/auth/email/verify', (email) => ({ email, otp: '123456' })],
  ['/api/auth/login', (email) => ({ email, password: PASSWORD })],
  ['/api/auth/password/forgot', (email) => ({ email })],
  ['/api/auth/password/reset', (email) => ({ email, otp: '123456', newPassword: PASSWORD })],
  ['/api/auth/send-otp', (email) => ({ email })],
  ['/api/auth/verify-otp', (email) => ({ email, otp: '123456' })],
];

describe('input validation: well-formed Unicode everywhere, one canonical form per email address', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_AUTH_LIMIT: '100000', THROTTLE_DEFAULT_LIMIT: '100000' });
  });
  afterAll(() => sut?.close());

  const tag = () => randomBytes(4).toString('hex');
  const expectValidationFailed = (response: { status: number; body: any }, what: unknown) =>
    expect({ what, status: response.status, code: response.body.code }).toEqual({
      what,
      status: 400,
      code: 'VALIDATION_FAILED',
    });

  describe('strings that are not well-formed Unicode (lone UTF-16 surrogates)', () => {
    it('should answer 400 VALIDATION_FAILED, not 500, for a lone surrogate in the email of every email route', async () => {
      for (const [path, body] of EMAIL_ROUTES) {
        for (const email of LONE_SURROGATES) {
          const response = await sut.http.fork().post(path, body(email));
          expectValidationFailed(response, { path, email: escape(email) });
          expect(response.body.details).toEqual([{ field: 'email', message: 'must be well-formed Unicode' }]);
        }
      }
    });

    it('should refuse a lone surrogate in any other field, nested field or key, of a body', async () => {
      const email = `surrogate-${tag()}@example.com`;
      for (const [path, body] of [
        ['/api/auth/register', { email, password: `${PASSWORD}\ud800` }],
        ['/api/auth/register', { email, password: PASSWORD, firstName: 'Ada\udc00' }],
        ['/api/auth/login', { email, password: PASSWORD, device: { id: 'd1', name: 'Phone \ud800' } }],
        ['/api/auth/login', { email, password: PASSWORD, '\ud800': 1 }],
        ['/api/auth/send-otp', { phone: '+1415555\ud8000123' }],
      ] as const) {
        expectValidationFailed(await sut.http.fork().post(path, body), { path, body: escape(JSON.stringify(body)) });
      }
      const users = await sut.app.get(EntityManager).fork().count(User, { email });
      expect(users).toBe(0);
    });

    it('should take a percent-encoded surrogate or overlong byte in a query string as literal text, not fail', async () => {
      // Query strings cannot carry a lone surrogate: undecodable escapes stay as they were sent.
      const admin = await signedInAs(sut, ['admin']);
      for (const query of ['%ED%A0%80', 'a%uD800', '%C0%AF']) {
        const response = await sut.http.get(`/api/admin/users?query=${query}`, { token: admin.token });
        expect({ query, status: response.status, items: response.body.items }).toEqual({
          query,
          status: 200,
          items: [],
        });
      }
    });

    it('should still accept well-formed text outside the BMP (surrogate pairs)', async () => {
      const response = await sut.http.post('/api/auth/register', {
        email: `pair-${tag()}@example.com`,
        password: `${PASSWORD} 🦄`,
        firstName: '𝒜da',
      });
      expect(response.status).toBe(202);
    });
  });

  describe('canonical email addresses', () => {
    // A registration is no account until its code is verified: the pending registrations are what register makes.
    const accountsWith = (...emails: string[]) =>
      sut.app
        .get(EntityManager)
        .fork()
        .find(PendingRegistration, { tenantId: 'default', email: { $in: emails } });

    it('should make one account of Ada@EXAMPLE.com and ada@example.com', async () => {
      const local = `ada-${tag()}`;
      for (const email of [`${local.toUpperCase()}@EXAMPLE.com`, `${local}@example.com`, ` ${local}@Example.COM `]) {
        expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
      }
      const accounts = await accountsWith(`${local}@example.com`, `${local.toUpperCase()}@EXAMPLE.com`);
      expect(accounts.map((user) => user.email)).toEqual([`${local}@example.com`]);
    });

    it('should make one account of a Unicode domain and its punycode (ada@exämple.com, ada@xn--exmple-cua.com)', async () => {
      const local = `ada-${tag()}`;
      const variants = [
        `${local}@exämple.com`,
        `${local}@xn--exmple-cua.com`,
        `${local}@EXÄMPLE.com`,
        `${local}@XN--EXMPLE-CUA.COM`,
      ];
      for (const email of variants) {
        expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
      }
      const accounts = await accountsWith(...variants, `${local}@exämple.com`.normalize('NFD'));
      expect(accounts.map((user) => user.email)).toEqual([`${local}@xn--exmple-cua.com`]);
    });

    it('should fold a decomposed Unicode domain and full-width letters into the same account', async () => {
      const local = `ada-${tag()}`;
      for (const email of [`${local}@exämple.com`, `${local}@exämple.com`.normalize('NFD'), `${local}@ｅxämple.com`]) {
        expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
      }
      const all = await sut.app
        .get(EntityManager)
        .fork()
        .find(PendingRegistration, { tenantId: 'default', email: { $like: `${local}@%` } });
      expect(all.map((user) => user.email)).toEqual([`${local}@xn--exmple-cua.com`]);
    });

    it('should not let a Unicode spelling of a suppressed address make a second account or receive a code', async () => {
      const local = `bounced-${tag()}`;
      const canonical = `${local}@xn--exmple-cua.com`;
      await createUser(sut, { email: canonical, emailVerifiedAt: null });
      const delivery = sut.app.get(DestinationHasher);
      await createSuppression(sut, 'default', {
        channel: 'email',
        destinationHash: delivery.hash({ channel: 'email', address: canonical }),
        destinationMasked: 'b***@xn--exmple-cua.com',
        reason: 'bounce: 550',
      });
      const variants = [`${local}@exämple.com`, `${local.toUpperCase()}@EXÄMPLE.COM`];

      for (const email of variants) {
        expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
        const sent = await sut.http.post('/api/auth/send-otp', { email });
        expect({ email, status: sent.status, code: sent.body.code }).toEqual({
          email,
          status: 422,
          code: 'DESTINATION_UNDELIVERABLE',
        });
      }
      expect((await accountsWith(canonical, ...variants)).map((user) => user.email)).toEqual([canonical]);
      const hashes = [canonical, ...variants].map((address) => delivery.hash({ channel: 'email', address }));
      const messages = await sut.app
        .get(EntityManager)
        .getConnection()
        .execute(`select id from delivery_message where destination_hash in (?, ?, ?)`, hashes);
      expect(messages).toEqual([]);
    });

    it('should refuse quoted local parts and control characters with 400 VALIDATION_FAILED', async () => {
      const local = `ctl-${tag()}`;
      for (const email of [
        `"${local}"@example.com`,
        `"${local} x"@example.com`,
        `${local}@example.com\r\n`,
        `${local}@example.com\r\nBcc: victim@example.com`,
        `\t${local}@example.com`,
        `${local}\u0000@example.com`,
        `${local}@example.com\u0085`,
        `${local}@exa\u007fmple.com`,
      ]) {
        for (const [path, body] of EMAIL_ROUTES) {
          const response = await sut.http.fork().post(path, body(email));
          expectValidationFailed(response, { path, email: JSON.stringify(email) });
          expect(response.body.details).toEqual([{ field: 'email', message: expect.any(String) }]);
        }
      }
      const all = await sut.app
        .get(EntityManager)
        .fork()
        .find(User, { tenantId: 'default', email: { $like: `%${local}%` } });
      expect(all).toEqual([]);
    });
  });
});

/** Lone surrogates printed as \uXXXX, so a failing assertion shows which input it was. */
function escape(text: string): string {
  return text.replace(/[\ud800-\udfff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`);
}
