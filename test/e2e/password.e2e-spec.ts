import { MikroORM } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { User } from '../../src/modules/users/user.entity';
import type { HttpClient, TestResponse } from '../support/http-client';
import { SmtpTestServer } from '../support/smtp-test-server';
import { TestClock } from '../support/test-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTenant, createUser } from '../support/factories';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase 42';

const uniqueEmail = (label = 'user') => `${label}-${randomBytes(5).toString('hex')}@example.com`;

describe('email + password accounts', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;
  let orm: MikroORM;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({
      SMTP_URL: smtp.url,
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
      OTP_RESEND_COOLDOWN: '1',
      BOOTSTRAP_ADMIN_EMAILS: 'boss@example.com',
    });
    orm = sut.app.get(MikroORM);
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });

  /** Runs `action` and answers the code of the mail it caused. */
  async function codeAfter(email: string, action: () => Promise<TestResponse>): Promise<string> {
    const before = smtp.mailsTo(email).length;
    const response = await action();
    expect(response.status).toBe(202);
    return smtp.waitForCode(email, { skip: before });
  }

  /**
   * Repeats `action` (which answers the same 202 inside the 1 s resend cooldown without
   * sending) until it causes a new mail, and answers that mail's code.
   */
  async function codeAfterCooldown(email: string, action: () => Promise<TestResponse>): Promise<string> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = smtp.mailsTo(email).length;
      const response = await action();
      expect(response.status).toBe(202);
      const code = await smtp.waitForCode(email, { skip: before, deadlineMs: 3000 }).catch(() => undefined);
      if (code) return code;
    }
    throw new Error(`no new mail to ${email}`);
  }

  async function register(email: string, password = PASSWORD, http: HttpClient = sut.http) {
    return codeAfter(email, () => http.post('/api/auth/register', { email, password }));
  }

  /** A verified account and the session its verification started (native client: tokens in the body). */
  async function signUp(email = uniqueEmail(), password = PASSWORD) {
    const code = await register(email, password);
    const verified = await sut.http.post('/api/auth/email/verify', { email, otp: code, client: 'native' });
    expect(verified.status).toBe(200);
    return { email, password, session: verified.body };
  }

  async function login(email: string, password: string) {
    return sut.http.fork().post('/api/auth/login', { email, password, client: 'native' });
  }

  const me = (token: string) => sut.http.fork().get('/api/auth/me', { token });

  async function auditTypes(userId: string): Promise<string[]> {
    const events = await orm.em.fork().find(AuditEvent, { subjectId: userId }, { orderBy: { createdAt: 'asc' } });
    return events.map((event) => event.type);
  }

  it('should document every route with its operationId, body and error codes', async () => {
    const doc = (await sut.http.get('/docs-json')).body;
    const routes: Array<[string, string, string[]]> = [
      ['/api/auth/register', 'register', ['202', '400', '429']],
      ['/api/auth/email/resend', 'resendVerification', ['202', '400', '429']],
      ['/api/auth/email/verify', 'verifyEmail', ['200', '400', '401', '429']],
      ['/api/auth/login', 'login', ['200', '400', '401', '403', '429']],
      ['/api/auth/password/forgot', 'forgotPassword', ['202', '400', '429']],
      ['/api/auth/password/reset', 'resetPassword', ['204', '400', '401', '429']],
      ['/api/auth/password/change', 'changePassword', ['204', '400', '401', '403', '429']],
    ];
    for (const [path, operationId, statuses] of routes) {
      const operation = doc.paths[path].post;
      expect(operation.operationId).toBe(operationId);
      expect(operation.requestBody).toBeDefined();
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(statuses));
    }
    expect(doc.paths['/api/auth/password/change'].post.security).toBeDefined();
  });

  it.each([
    ['/api/auth/register', { email: 'a@example.com', password: PASSWORD }],
    ['/api/auth/email/resend', { email: 'a@example.com' }],
    ['/api/auth/email/verify', { email: 'a@example.com', otp: '123456' }],
    ['/api/auth/login', { email: 'a@example.com', password: PASSWORD }],
    ['/api/auth/password/forgot', { email: 'a@example.com' }],
    ['/api/auth/password/reset', { email: 'a@example.com', otp: '123456', newPassword: NEW_PASSWORD }],
  ])('%s should refuse unknown fields, a bad email and an unknown tenant', async (path, body) => {
    const extra = await sut.http.post(path, { ...body, isAdmin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.details).toEqual([{ field: 'isAdmin', message: 'is not allowed' }]);
    const badEmail = await sut.http.post(path, { ...body, email: 'a@' });
    expect(badEmail.body.details).toEqual([{ field: 'email', message: 'must be an email' }]);
    const tenant = await sut.http.post(path, body, { headers: { 'x-tenant-id': 'no-such-tenant' } });
    expect(tenant.status).toBe(400);
    expect(tenant.body.code).toBe('TENANT_UNKNOWN');
  });

  describe('POST /api/auth/register', () => {
    it('should answer 202 verification_sent, mail a code and keep the registration pending until it is verified', async () => {
      const email = uniqueEmail();
      const response = await sut.http.post('/api/auth/register', {
        email,
        password: PASSWORD,
        firstName: 'Ada',
        lastName: 'Lovelace',
      });
      expect(response.status).toBe(202);
      expect(response.body).toEqual({ status: 'verification_sent' });
      const code = await smtp.waitForCode(email);
      expect(code).toMatch(/^\d{6}$/);
      const [pending] = await orm.em
        .fork()
        .getConnection()
        .execute(`select id, password_hash, first_name, last_name from pending_registration where email = ?`, [email]);
      expect(pending).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
      expect(pending.password_hash).toMatch(/^\$argon2id\$/);
      expect(await orm.em.fork().count(User, { email })).toBe(0);

      const verified = await sut.http.post('/api/auth/email/verify', { email, otp: code, client: 'native' });
      expect(verified.body.user).toMatchObject({ id: pending.id, emailVerified: true, roles: ['user'] });
      expect(verified.body.user.profile).toEqual({
        firstName: 'Ada',
        lastName: 'Lovelace',
        photoUrl: null,
        country: null,
        locale: null,
      });
      expect(await auditTypes(pending.id)).toEqual(expect.arrayContaining(['user.registered', 'email.verified']));
    });

    it('should lower-case and trim the email', async () => {
      const email = uniqueEmail('mixed');
      const code = await codeAfter(email, () =>
        sut.http.post('/api/auth/register', { email: `  ${email.toUpperCase()} `, password: PASSWORD }),
      );
      const verified = await sut.http.post('/api/auth/email/verify', { email, otp: code });
      expect(verified.status).toBe(200);
      expect(verified.body.user.email).toBe(email);
    });

    it.each([
      [
        'a malformed email',
        { email: 'not-an-email', password: PASSWORD },
        { field: 'email', message: 'must be an email' },
      ],
      [
        'an email over 320 characters',
        {
          email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`,
          password: PASSWORD,
        },
        { field: 'email', message: expect.any(String) },
      ],
      ['a missing email', { password: PASSWORD }, { field: 'email', message: expect.any(String) }],
      [
        'a short password',
        { email: 'x@example.com', password: 'a1b2c3' },
        { field: 'password', message: 'must be at least 8 characters' },
      ],
      [
        'a password over 128 characters',
        { email: 'x@example.com', password: 'x'.repeat(129) },
        { field: 'password', message: 'must be at most 128 characters' },
      ],
      [
        'a common password',
        { email: 'x@example.com', password: 'password123' },
        { field: 'password', message: 'is too common; choose another password' },
      ],
      [
        'a non-string password',
        { email: 'x@example.com', password: 12345678 },
        { field: 'password', message: expect.any(String) },
      ],
      [
        'an unknown field',
        { email: 'x@example.com', password: PASSWORD, roles: ['admin'] },
        { field: 'roles', message: 'is not allowed' },
      ],
    ])('should refuse %s with VALIDATION_FAILED and details', async (_label, body, detail) => {
      const response = await sut.http.post('/api/auth/register', body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', error: 'Validation failed' });
      expect(response.body.details).toEqual(expect.arrayContaining([detail]));
    });

    it('should refuse malformed JSON with VALIDATION_FAILED', async () => {
      const response = await sut.http.post('/api/auth/register', undefined, {
        raw: { payload: '{"email": "a@example.com", ', contentType: 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details).toEqual([{ field: 'body', message: expect.any(String) }]);
    });

    it('should accept any characters and no composition rules', async () => {
      const email = uniqueEmail('unicode');
      expect((await sut.http.post('/api/auth/register', { email, password: 'ñandú 🔑 пароль' })).status).toBe(202);
      expect(
        (await sut.http.post('/api/auth/register', { email: uniqueEmail(), password: 'zzzzqqqqwwww' })).status,
      ).toBe(202);
    });

    it("should apply the tenant's raised minimum length", async () => {
      const tenantId = `strict-${randomBytes(3).toString('hex')}`;
      await createTenant(sut, tenantId, { name: 'Strict', settings: { passwordMinLength: 15 } });
      const http = sut.http.fork({ 'x-tenant-id': tenantId });
      const short = await http.post('/api/auth/register', { email: uniqueEmail(), password: 'uncommon-pass' });
      expect(short.status).toBe(400);
      expect(short.body.details).toEqual([{ field: 'password', message: 'must be at least 15 characters' }]);
      expect(
        (await http.post('/api/auth/register', { email: uniqueEmail(), password: 'uncommon-pass-15' })).status,
      ).toBe(202);
    });

    // Registering an address again while it waits for its code: test/e2e/registration-takeover.e2e-spec.ts.

    it('should not change the password of a verified account', async () => {
      const { email } = await signUp();
      expect((await sut.http.post('/api/auth/register', { email, password: 'attacker chosen pass' })).status).toBe(202);
      expect((await login(email, 'attacker chosen pass')).status).toBe(401);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('should answer a registration race for one email with 202 twice and keep one registration, its password intact', async () => {
      const email = uniqueEmail('race');
      const [a, b] = await Promise.all([
        sut.http.fork().post('/api/auth/register', { email, password: PASSWORD }),
        sut.http.fork().post('/api/auth/register', { email, password: PASSWORD }),
      ]);
      expect([a.status, b.status]).toEqual([202, 202]);
      const rows = await orm.em
        .fork()
        .getConnection()
        .execute(`select contested_at from pending_registration where email = ?`, [email]);
      expect(rows).toEqual([{ contested_at: null }]);
      const code = await smtp.waitForCode(email);
      expect((await sut.http.post('/api/auth/email/verify', { email, otp: code })).status).toBe(200);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });
  });

  describe('POST /api/auth/email/resend', () => {
    it('should mail a new code to an unverified account; the old one is replaced', async () => {
      const email = uniqueEmail();
      const first = await register(email);
      const second = await codeAfterCooldown(email, async () => {
        const response = await sut.http.post('/api/auth/email/resend', { email });
        expect(response.body).toEqual({ status: 'verification_sent' });
        return response;
      });
      if (first !== second) {
        const old = await sut.http.post('/api/auth/email/verify', { email, otp: first });
        expect(old.status).toBe(401);
        expect(old.body.code).toBe('OTP_INVALID');
      }
      expect((await sut.http.post('/api/auth/email/verify', { email, otp: second })).status).toBe(200);
    });

    it('should refuse a malformed email with VALIDATION_FAILED', async () => {
      const response = await sut.http.post('/api/auth/email/resend', { email: 'nope' });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([{ field: 'email', message: 'must be an email' }]);
    });
  });

  describe('POST /api/auth/email/verify', () => {
    it('should activate the account and sign in (AuthResult, amr otp)', async () => {
      const email = uniqueEmail();
      const code = await register(email);
      const response = await sut.http.post('/api/auth/email/verify', { email, otp: code, client: 'native' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        tokenType: 'Bearer',
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        sessionId: expect.any(String),
        user: { email, emailVerified: true, roles: ['user'], status: 'active' },
      });
      expect((await me(response.body.accessToken)).status).toBe(200);
      expect(await auditTypes(response.body.user.id)).toEqual(
        expect.arrayContaining(['user.registered', 'email.verified']),
      );
    });

    it('should refuse a wrong code with OTP_INVALID and a used code with OTP_EXPIRED', async () => {
      const email = uniqueEmail();
      const code = await register(email);
      const wrong = code === '000000' ? '111111' : '000000';
      const bad = await sut.http.post('/api/auth/email/verify', { email, otp: wrong });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('OTP_INVALID');
      expect((await sut.http.post('/api/auth/email/verify', { email, otp: code })).status).toBe(200);
      const reused = await sut.http.post('/api/auth/email/verify', { email, otp: code });
      expect(reused.status).toBe(401);
      expect(reused.body).toMatchObject({
        code: 'OTP_EXPIRED',
        error: 'No live code here: it was already used or expired. Request a new one',
      });
    });

    it('should answer OTP_EXPIRED for an unknown email', async () => {
      const response = await sut.http.post('/api/auth/email/verify', { email: uniqueEmail('ghost'), otp: '123456' });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('OTP_EXPIRED');
    });

    it('should refuse a malformed code and unknown fields with VALIDATION_FAILED', async () => {
      const response = await sut.http.post('/api/auth/email/verify', {
        email: 'a@example.com',
        otp: '12ab',
        admin: true,
      });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual(
        expect.arrayContaining([
          { field: 'otp', message: 'must be 6 digits' },
          { field: 'admin', message: 'is not allowed' },
        ]),
      );
    });

    it('should make a BOOTSTRAP_ADMIN_EMAILS address admin at verification', async () => {
      const code = await register('boss@example.com');
      const response = await sut.http.post('/api/auth/email/verify', { email: 'boss@example.com', otp: code });
      expect(response.status).toBe(200);
      expect(response.body.user.roles).toEqual(['user', 'admin']);
      expect(await auditTypes(response.body.user.id)).toContain('role.changed');
    });

    it('should set the web cookies for a web client and no refresh token in the body', async () => {
      const email = uniqueEmail();
      const code = await register(email);
      const browser = sut.http.fork();
      const response = await browser.post('/api/auth/email/verify', { email, otp: code });
      expect(response.status).toBe(200);
      expect(response.body.refreshToken).toBeUndefined();
      expect(browser.jar.size).toBeGreaterThan(0);
    });
  });

  describe('POST /api/auth/login', () => {
    it('should sign in with the right password (AuthResult, amr pwd, aal 1)', async () => {
      const { email } = await signUp();
      const response = await login(email, PASSWORD);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ tokenType: 'Bearer', user: { email, emailVerified: true } });
      const [, payload] = String(response.body.accessToken).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ amr: ['pwd'], aal: 1 });
      expect(await auditTypes(response.body.user.id)).toContain('login.succeeded');
    });

    it('should accept the email in any case', async () => {
      const { email } = await signUp();
      expect((await login(email.toUpperCase(), PASSWORD)).status).toBe(200);
    });

    it('should refuse a wrong password with INVALID_CREDENTIALS and audit login.failed', async () => {
      const { email, session } = await signUp();
      const response = await login(email, 'wrong password here');
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        statusCode: 401,
        code: 'INVALID_CREDENTIALS',
        error: 'Invalid credentials',
        requestId: response.headers.get('x-request-id'),
      });
      expect(await auditTypes(session.user.id)).toContain('login.failed');
    });

    it('should not sign in, nor reveal, a registration waiting for its code: INVALID_CREDENTIALS even for its password', async () => {
      const email = uniqueEmail();
      await register(email);
      const right = await login(email, PASSWORD);
      expect(right.status).toBe(401);
      expect(right.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('should answer EMAIL_NOT_VERIFIED only after a correct password, for an account whose email is not verified', async () => {
      const email = uniqueEmail();
      const hasher = sut.app.get(PasswordHasher);
      // Not made by registering (a registration is no account before its code): an older or imported account.
      await createUser(sut, { email, emailVerifiedAt: null, passwordHash: await hasher.hash(PASSWORD) });
      const wrong = await login(email, 'wrong password here');
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      const right = await login(email, PASSWORD);
      expect(right.status).toBe(403);
      expect(right.body.code).toBe('EMAIL_NOT_VERIFIED');
    });

    it('should answer ACCOUNT_RESTRICTED for restricted and disabled accounts, only after a correct password', async () => {
      for (const status of ['restricted', 'disabled'] as const) {
        const { email } = await signUp();
        await orm.em.fork().nativeUpdate(User, { email }, { status });
        expect((await login(email, 'wrong password here')).body.code).toBe('INVALID_CREDENTIALS');
        const right = await login(email, PASSWORD);
        expect(right.status).toBe(403);
        expect(right.body.code).toBe('ACCOUNT_RESTRICTED');
      }
    });

    it('should refuse a missing password and a malformed email with VALIDATION_FAILED', async () => {
      const response = await sut.http.post('/api/auth/login', { email: 'bad' });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'email' }),
          expect.objectContaining({ field: 'password' }),
        ]),
      );
    });

    it('should rehash a password stored with weaker parameters on login', async () => {
      const { email } = await signUp();
      const em = orm.em.fork();
      const user = await em.findOneOrFail(User, { email });
      const argon2 = await import('argon2');
      const weak = await argon2.hash(PASSWORD, {
        type: argon2.argon2id,
        memoryCost: 2048,
        timeCost: 1,
        parallelism: 1,
      });
      await em.nativeUpdate(User, { id: user.id }, { passwordHash: weak });
      expect((await login(email, PASSWORD)).status).toBe(200);
      const after = await orm.em.fork().findOneOrFail(User, { id: user.id });
      expect(after.passwordHash).not.toBe(weak);
      expect(after.passwordHash).toMatch(/m=4096/);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });
  });

  describe('POST /api/auth/password/change', () => {
    it('should change the password, revoke every other session and keep the current one', async () => {
      const { email, session: first } = await signUp();
      const second = (await login(email, PASSWORD)).body;
      const response = await sut.http
        .fork()
        .post(
          '/api/auth/password/change',
          { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
          { token: second.accessToken },
        );
      expect(response.status).toBe(204);
      expect((await me(first.accessToken)).status).toBe(401);
      expect((await me(second.accessToken)).status).toBe(200);
      expect((await login(email, PASSWORD)).status).toBe(401);
      expect((await login(email, NEW_PASSWORD)).status).toBe(200);
      expect(await auditTypes(first.user.id)).toContain('password.changed');
    });

    it('should refuse a wrong current password with INVALID_CREDENTIALS and change nothing', async () => {
      const { email, session } = await signUp();
      const response = await sut.http
        .fork()
        .post(
          '/api/auth/password/change',
          { currentPassword: 'not my password', newPassword: NEW_PASSWORD },
          { token: session.accessToken },
        );
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('INVALID_CREDENTIALS');
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('should refuse a common new password with VALIDATION_FAILED on newPassword', async () => {
      const { session } = await signUp();
      const response = await sut.http
        .fork()
        .post(
          '/api/auth/password/change',
          { currentPassword: PASSWORD, newPassword: 'iloveyou' },
          { token: session.accessToken },
        );
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([
        { field: 'newPassword', message: 'is too common; choose another password' },
      ]);
    });

    it('should refuse a request without a session with UNAUTHORIZED', async () => {
      const response = await sut.http
        .fork()
        .post('/api/auth/password/change', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    });

    it('should refuse a stale session with REAUTH_REQUIRED', async () => {
      const stale = await startTestApp(
        { SMTP_URL: smtp.url, THROTTLE_AUTH_LIMIT: '100000', THROTTLE_DEFAULT_LIMIT: '100000', REAUTH_WINDOW: '1' },
        sut.resources,
      );
      try {
        const { email, session } = await signUp();
        const http = stale.http.fork();
        // Past REAUTH_WINDOW by this app's clock: no waiting for the second to pass.
        TestClock.of(stale).advance(2000);
        const response = await http.post(
          '/api/auth/password/change',
          { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
          { token: session.accessToken },
        );
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('REAUTH_REQUIRED');
        expect((await login(email, PASSWORD)).status).toBe(200);
      } finally {
        await stale.close();
      }
    });
  });

  describe('POST /api/auth/password/forgot and /reset', () => {
    it('should mail a reset code, set the new password and revoke every session', async () => {
      const { email, session: first } = await signUp();
      const second = (await login(email, PASSWORD)).body;
      const code = await codeAfter(email, () => sut.http.post('/api/auth/password/forgot', { email }));
      const response = await sut.http.post('/api/auth/password/reset', { email, otp: code, newPassword: NEW_PASSWORD });
      expect(response.status).toBe(204);
      expect((await me(first.accessToken)).status).toBe(401);
      expect((await me(second.accessToken)).status).toBe(401);
      expect((await login(email, PASSWORD)).status).toBe(401);
      expect((await login(email, NEW_PASSWORD)).status).toBe(200);
      expect(await auditTypes(first.user.id)).toEqual(
        expect.arrayContaining(['password.reset_requested', 'password.reset']),
      );
    });

    it('should say a reset code already used was used or expired', async () => {
      const { email } = await signUp();
      const code = await codeAfter(email, () => sut.http.post('/api/auth/password/forgot', { email }));
      const reset = { email, otp: code, newPassword: NEW_PASSWORD };
      expect((await sut.http.post('/api/auth/password/reset', reset)).status).toBe(204);
      const reused = await sut.http.post('/api/auth/password/reset', {
        ...reset,
        newPassword: `${NEW_PASSWORD} again`,
      });
      expect(reused.status).toBe(401);
      expect(reused.body).toMatchObject({
        code: 'OTP_EXPIRED',
        error: 'No live code here: it was already used or expired. Request a new one',
      });
    });

    it('should answer 202 reset_sent for an unknown email', async () => {
      const response = await sut.http.post('/api/auth/password/forgot', { email: uniqueEmail('ghost') });
      expect(response.status).toBe(202);
      expect(response.body).toEqual({ status: 'reset_sent' });
    });

    it('should refuse a wrong code with OTP_INVALID and an unknown email with OTP_EXPIRED', async () => {
      const { email } = await signUp();
      const code = await codeAfter(email, () => sut.http.post('/api/auth/password/forgot', { email }));
      const wrong = code === '000000' ? '111111' : '000000';
      const bad = await sut.http.post('/api/auth/password/reset', { email, otp: wrong, newPassword: NEW_PASSWORD });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('OTP_INVALID');
      const ghost = await sut.http.post('/api/auth/password/reset', {
        email: uniqueEmail('ghost'),
        otp: code,
        newPassword: NEW_PASSWORD,
      });
      expect(ghost.status).toBe(401);
      expect(ghost.body.code).toBe('OTP_EXPIRED');
    });

    it('should refuse a common new password without burning the code', async () => {
      const { email } = await signUp();
      const code = await codeAfter(email, () => sut.http.post('/api/auth/password/forgot', { email }));
      const common = await sut.http.post('/api/auth/password/reset', { email, otp: code, newPassword: 'password1' });
      expect(common.status).toBe(400);
      expect(common.body.details).toEqual([
        { field: 'newPassword', message: 'is too common; choose another password' },
      ]);
      expect(
        (await sut.http.post('/api/auth/password/reset', { email, otp: code, newPassword: NEW_PASSWORD })).status,
      ).toBe(204);
    });

    it('should not let a verification code reset the password', async () => {
      const email = uniqueEmail();
      const code = await register(email);
      const response = await sut.http.post('/api/auth/password/reset', { email, otp: code, newPassword: NEW_PASSWORD });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('OTP_EXPIRED');
    });
  });
});
