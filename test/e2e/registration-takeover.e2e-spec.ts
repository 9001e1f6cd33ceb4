import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { DestinationHasher } from '../../src/modules/delivery/destination-hasher';
import type { TestResponse } from '../support/http-client';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';

const VICTIM_PASSWORD = 'victim chose this passphrase';
const ATTACKER_PASSWORD = 'attacker planted this one';
const NEW_PASSWORD = 'owner sets this after reset';

const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString('hex')}@example.com`;
const BOSS = uniqueEmail('boss');

/**
 * Security review, issue 11, findings 1 and 2, played as the attacker plays them: taking an
 * account by registering its address before its owner has proven the mailbox. The attacker
 * never sees the victim's mailbox; the victim does what the mails ask.
 */
describe('registration takeover: a password set before the mailbox is proven never survives its proof', () => {
  let smtp: SmtpTestServer;
  /** A 60 s resend cooldown: a second registration sends no second mail (the victim notices nothing). */
  let sut: TestApp;
  /** A 1 s cooldown, same data: a second registration sends a second mail. */
  let quick: TestApp;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    const env = {
      SMTP_URL: smtp.url,
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
      BOOTSTRAP_ADMIN_EMAILS: BOSS,
    };
    sut = await startTestApp({ ...env, OTP_RESEND_COOLDOWN: '60' });
    quick = await startTestApp({ ...env, OTP_RESEND_COOLDOWN: '1' }, sut.resources);
  });
  afterAll(async () => {
    await quick?.close();
    await sut?.close();
    await smtp?.close();
  });

  const victim = () => sut.http.fork();
  const attacker = () => sut.http.fork({ 'user-agent': 'attacker' });

  async function register(app: TestApp, email: string, password: string): Promise<void> {
    const response = await app.http.fork().post('/api/auth/register', { email, password });
    expect(response.status).toBe(202);
  }

  async function login(email: string, password: string): Promise<TestResponse> {
    return attacker().post('/api/auth/login', { email, password, client: 'native' });
  }

  /** What the attacker gets out of a sign-in with the planted password, in a form that fails readably. */
  async function attackerSignIn(email: string) {
    const response = await login(email, ATTACKER_PASSWORD);
    return { status: response.status, code: response.body?.code, roles: response.body?.user?.roles };
  }

  /** Messages of `purpose` queued for `email` so far (rows are written before the API answers). */
  async function queued(email: string, purpose: string): Promise<number> {
    const destinationHash = sut.app.get(DestinationHasher).hash({ channel: 'email', address: email });
    const [{ count }] = await sut.app
      .get(EntityManager)
      .fork()
      .getConnection()
      .execute<Array<{ count: number }>>(
        `select count(*)::int as count from delivery_message where destination_hash = ? and purpose = ?`,
        [destinationHash, purpose],
      );
    return count;
  }

  /** Registers with `password` on `app` until a new mail arrives (a send inside the cooldown sends nothing). */
  async function registerUntilMailed(app: TestApp, email: string, password: string): Promise<string> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = smtp.mailsTo(email).length;
      await register(app, email, password);
      const code = await smtp.waitForCode(email, { skip: before, deadlineMs: 3000 }).catch(() => undefined);
      if (code) return code;
    }
    throw new Error(`no new mail to ${email}`);
  }

  describe('finding 1: re-registering an unverified email', () => {
    it('should not let a registration inside the resend cooldown set the password the victim activates', async () => {
      const email = uniqueEmail('victim');
      const code = await registerUntilMailed(sut, email, VICTIM_PASSWORD);
      // Inside the cooldown: 202 like any registration, and no second mail.
      await register(sut, email, ATTACKER_PASSWORD);

      const verified = await victim().post('/api/auth/email/verify', { email, otp: code, client: 'native' });
      expect(verified.status).toBe(200);

      expect(await attackerSignIn(email)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', roles: undefined });
      expect((await sut.http.fork().get('/api/auth/me', { token: verified.body.accessToken })).status).toBe(200);
    });

    it('should not hand an admin to the attacker through a BOOTSTRAP_ADMIN_EMAILS address', async () => {
      const code = await registerUntilMailed(sut, BOSS, VICTIM_PASSWORD);
      await register(sut, BOSS, ATTACKER_PASSWORD);

      const verified = await victim().post('/api/auth/email/verify', { email: BOSS, otp: code, client: 'native' });
      expect(verified.status).toBe(200);
      expect(verified.body.user.roles).toEqual(['user', 'admin']);

      expect(await attackerSignIn(BOSS)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', roles: undefined });
    });

    it('should not let a registration after the cooldown activate its password through the code it mails', async () => {
      const email = uniqueEmail('victim');
      await registerUntilMailed(quick, email, VICTIM_PASSWORD);
      // The victim's mailbox gets a second code, caused by the attacker; the victim types the latest.
      const latest = await registerUntilMailed(quick, email, ATTACKER_PASSWORD);

      const verified = await victim().post('/api/auth/email/verify', { email, otp: latest, client: 'native' });
      expect(verified.status).toBe(200);

      expect(await attackerSignIn(email)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', roles: undefined });
    });

    it('should not activate the password of an attacker who registered first when the victim registers inside the cooldown', async () => {
      const email = uniqueEmail('victim');
      // The only code in the victim's mailbox is the one the attacker's registration caused.
      const code = await registerUntilMailed(sut, email, ATTACKER_PASSWORD);
      await register(sut, email, VICTIM_PASSWORD);

      const verified = await victim().post('/api/auth/email/verify', { email, otp: code, client: 'native' });
      expect(verified.status).toBe(200);

      expect(await attackerSignIn(email)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', roles: undefined });
    });

    it('should start a contested registration without any password; the owner sets one by reset', async () => {
      const email = uniqueEmail('contested');
      const code = await registerUntilMailed(quick, email, VICTIM_PASSWORD);
      await register(quick, email, ATTACKER_PASSWORD);
      const verified = await victim().post('/api/auth/email/verify', { email, otp: code, client: 'native' });
      expect(verified.status).toBe(200);

      // Nobody can tell which registrant owns the mailbox: neither password was kept.
      expect((await login(email, VICTIM_PASSWORD)).status).toBe(401);
      expect((await login(email, ATTACKER_PASSWORD)).status).toBe(401);
      const before = smtp.mailsTo(email).length;
      expect((await victim().post('/api/auth/password/forgot', { email })).status).toBe(202);
      const reset = await smtp.waitForCode(email, { skip: before });
      expect(
        (await victim().post('/api/auth/password/reset', { email, otp: reset, newPassword: NEW_PASSWORD })).status,
      ).toBe(204);
      expect((await login(email, NEW_PASSWORD)).status).toBe(200);
    });

    it('should keep the password of a registration repeated with the same password', async () => {
      const email = uniqueEmail('twice');
      await registerUntilMailed(quick, email, VICTIM_PASSWORD);
      const latest = await registerUntilMailed(quick, email, VICTIM_PASSWORD);
      expect((await victim().post('/api/auth/email/verify', { email, otp: latest })).status).toBe(200);
      expect((await login(email, VICTIM_PASSWORD)).status).toBe(200);
    });

    it('should never change the stored password hash of a pending registration', async () => {
      const email = uniqueEmail('hash');
      await registerUntilMailed(sut, email, VICTIM_PASSWORD);
      const hashOf = async () => {
        const rows = await sut.app
          .get(EntityManager)
          .fork()
          .getConnection()
          .execute<Array<{ password_hash: string }>>(`select password_hash from pending_registration where email = ?`, [
            email,
          ]);
        return rows.map((row) => row.password_hash);
      };
      const [stored] = await hashOf();
      expect(stored).toMatch(/^\$argon2id\$/);
      await register(sut, email, ATTACKER_PASSWORD);
      expect(await hashOf()).toEqual([stored]);
    });

    it('should let a code activate only the registration it was issued for, not one that replaced it', async () => {
      const email = uniqueEmail('expired');
      const code = await registerUntilMailed(sut, email, VICTIM_PASSWORD);
      // The victim's registration runs out (its code is still live); the attacker registers anew, in the cooldown.
      await sut.app
        .get(EntityManager)
        .fork()
        .getConnection()
        .execute(`update pending_registration set expires_at = now() - interval '1 second' where email = ?`, [email]);
      await register(sut, email, ATTACKER_PASSWORD);

      const verify = await victim().post('/api/auth/email/verify', { email, otp: code });
      expect(verify.status).toBe(401);
      expect(verify.body.code).toBe('OTP_EXPIRED');
      expect(await attackerSignIn(email)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', roles: undefined });
    });
  });

  describe('finding 2: a password planted before verification', () => {
    it("should not let a planted password survive the owner's sign-in by email code", async () => {
      const email = uniqueEmail('victim');
      // The attacker registers the victim's address and never verifies it; the mail it causes is ignored.
      await registerUntilMailed(sut, email, ATTACKER_PASSWORD);

      // Later the victim signs in by an emailed code, as for any account.
      const sent = await victim().post('/api/auth/send-otp', { email });
      expect(sent.status).toBe(202);
      // The message row is written before the 202: no waiting needed to know whether a code went out.
      const loginCodes = await queued(email, 'login');
      if (loginCodes > 0) {
        const code = await smtp.waitForCode(email, { skip: 1 });
        expect((await victim().post('/api/auth/verify-otp', { email, otp: code, client: 'native' })).status).toBe(200);
      }

      expect(await attackerSignIn(email)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', roles: undefined });
      // A registration nobody verified is no account: no sign-in code went out for it.
      expect(loginCodes).toBe(0);
    });

    it('should queue neither a reset code nor a sign-in code for a registration nobody verified', async () => {
      const email = uniqueEmail('victim');
      await registerUntilMailed(sut, email, ATTACKER_PASSWORD);
      expect((await victim().post('/api/auth/password/forgot', { email })).status).toBe(202);
      expect((await victim().post('/api/auth/send-otp', { email })).status).toBe(202);
      expect({ reset: await queued(email, 'password_reset'), login: await queued(email, 'login') }).toEqual({
        reset: 0,
        login: 0,
      });
    });
  });
});
