import { randomBytes } from 'node:crypto';
import type { TestResponse } from '../support/http-client';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'correct horse battery staple';
const MAX_FAILURES = 3;
/** Differ between any two requests whatever the account: ids, clock, the per-IP counters. */
const VOLATILE_HEADERS = new Set(['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset']);

const uniqueEmail = (label = 'user') => `${label}-${randomBytes(5).toString('hex')}@example.com`;

/** Everything a client can observe of a response except what differs between any two requests. */
function observable(response: TestResponse) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !VOLATILE_HEADERS.has(name)));
  const body = typeof response.body === 'object' && response.body !== null ? { ...response.body } : response.body;
  if (body && typeof body === 'object') delete body.requestId;
  return { status: response.status, body, headers };
}

describe('email + password: no account enumeration, per-account lockout', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({
      SMTP_URL: smtp.url,
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
      // The suite's clients pretend to be many addresses behind a local proxy.
      TRUST_PROXY: '127.0.0.1',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_FAILURE_WINDOW: '600',
      OTP_RESEND_COOLDOWN: '60',
    });
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });

  const from = (ip: string) => sut.http.fork({ 'x-forwarded-for': ip });

  async function unverifiedAccount(): Promise<string> {
    const email = uniqueEmail('unverified');
    expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
    await smtp.waitForCode(email);
    return email;
  }

  async function verifiedAccount(): Promise<string> {
    const email = await unverifiedAccount();
    const otp = await smtp.waitForCode(email);
    expect((await sut.http.post('/api/auth/email/verify', { email, otp, client: 'native' })).status).toBe(200);
    return email;
  }

  describe('identical answers for existing and unknown emails', () => {
    it('should answer register the same for a verified, an unverified (in cooldown) and an unknown email', async () => {
      const verified = await verifiedAccount();
      const unverified = await unverifiedAccount();
      const answers = await Promise.all(
        [verified, unverified, uniqueEmail('ghost')].map(async (email) =>
          observable(await sut.http.post('/api/auth/register', { email, password: 'another fine passphrase' })),
        ),
      );
      expect(answers[0]).toEqual({ status: 202, body: { status: 'verification_sent' }, headers: expect.any(Object) });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    });

    it('should answer a common or short password the same whether or not the email exists', async () => {
      const verified = await verifiedAccount();
      const known = observable(await sut.http.post('/api/auth/register', { email: verified, password: 'password1' }));
      const unknown = observable(
        await sut.http.post('/api/auth/register', { email: uniqueEmail('ghost'), password: 'password1' }),
      );
      expect(known.status).toBe(400);
      expect(unknown).toEqual(known);
    });

    it('should answer resend the same for unknown, unverified (also in cooldown) and verified emails', async () => {
      const verified = await verifiedAccount();
      const unverified = await unverifiedAccount();
      const ghost = uniqueEmail('ghost');
      const answers: ReturnType<typeof observable>[] = [];
      // Twice each: the second resend to the unverified account falls in the 60 s cooldown.
      for (let round = 0; round < 2; round++) {
        for (const email of [ghost, unverified, verified]) {
          answers.push(observable(await sut.http.post('/api/auth/email/resend', { email })));
        }
      }
      expect(answers[0]).toEqual({ status: 202, body: { status: 'verification_sent' }, headers: expect.any(Object) });
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    });

    it('should answer forgot the same for a verified (also in cooldown), an unverified and an unknown email', async () => {
      const verified = await verifiedAccount();
      const unverified = await unverifiedAccount();
      const answers: ReturnType<typeof observable>[] = [];
      for (let round = 0; round < 2; round++) {
        for (const email of [uniqueEmail('ghost'), unverified, verified]) {
          answers.push(observable(await sut.http.post('/api/auth/password/forgot', { email })));
        }
      }
      expect(answers[0]).toEqual({ status: 202, body: { status: 'reset_sent' }, headers: expect.any(Object) });
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    });

    it('should answer a wrong password and an unknown email with the same INVALID_CREDENTIALS', async () => {
      const verified = await verifiedAccount();
      const known = observable(
        await from('192.0.2.10').post('/api/auth/login', { email: verified, password: 'wrong guess 1' }),
      );
      const unknown = observable(
        await from('192.0.2.10').post('/api/auth/login', { email: uniqueEmail('ghost'), password: 'wrong guess 1' }),
      );
      expect(known.status).toBe(401);
      expect(known.body).toEqual({ statusCode: 401, code: 'INVALID_CREDENTIALS', error: 'Invalid credentials' });
      expect(unknown).toEqual(known);
    });

    it('should spend about as long on an unknown email as on a wrong password (one hash each)', async () => {
      const verified = await verifiedAccount();
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        await from('192.0.2.11').post('/api/auth/login', { email, password: 'wrong guess 2' });
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 2; i++) {
        known.push(await time(verified));
        unknown.push(await time(uniqueEmail('ghost')));
      }
      // Loose bound (shared CI machine): without the dummy hash an unknown email answers several times faster.
      expect(median(unknown)).toBeGreaterThan(median(known) / 3);
    });
  });

  describe('per-account lockout', () => {
    it('should answer 429 with Retry-After for a locked account from any IP, even with the right password', async () => {
      const email = await verifiedAccount();
      for (let i = 0; i < MAX_FAILURES; i++) {
        const response = await from(`198.51.100.${i + 1}`).post('/api/auth/login', { email, password: `wrong ${i}` });
        expect(response.body.code).toBe('INVALID_CREDENTIALS');
      }
      const locked = await from('203.0.113.77').post('/api/auth/login', { email, password: PASSWORD });
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe('TOO_MANY_REQUESTS');
      const retryAfter = Number(locked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
    });

    it('should lock an unknown email exactly like a real one', async () => {
      const real = await verifiedAccount();
      const ghost = uniqueEmail('ghost');
      const answers: Record<string, ReturnType<typeof observable>[]> = { real: [], ghost: [] };
      for (let i = 0; i <= MAX_FAILURES; i++) {
        answers.real.push(
          observable(await from('198.51.100.50').post('/api/auth/login', { email: real, password: 'nope nope' })),
        );
        answers.ghost.push(
          observable(await from('198.51.100.50').post('/api/auth/login', { email: ghost, password: 'nope nope' })),
        );
      }
      expect(answers.real.map((answer) => answer.status)).toEqual([401, 401, 401, 429]);
      expect(answers.ghost).toEqual(answers.real);
    });

    it('should not let parallel guesses slip past the limit', async () => {
      const email = await verifiedAccount();
      const answers = await Promise.all(
        Array.from({ length: MAX_FAILURES + 4 }, (_, i) =>
          from(`198.51.100.${100 + i}`).post('/api/auth/login', { email, password: `parallel guess ${i}` }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(MAX_FAILURES);
      expect(statuses.filter((status) => status === 429)).toHaveLength(4);
    });

    it('should not lock another account', async () => {
      const locked = await verifiedAccount();
      const other = await verifiedAccount();
      for (let i = 0; i < MAX_FAILURES; i++)
        await sut.http.post('/api/auth/login', { email: locked, password: 'wrong one' });
      expect((await sut.http.post('/api/auth/login', { email: locked, password: PASSWORD })).status).toBe(429);
      expect(
        (await sut.http.post('/api/auth/login', { email: other, password: PASSWORD, client: 'native' })).status,
      ).toBe(200);
    });

    it('should count wrong current passwords on password change toward the lockout', async () => {
      const email = await verifiedAccount();
      const session = (await sut.http.fork().post('/api/auth/login', { email, password: PASSWORD, client: 'native' }))
        .body;
      for (let i = 0; i < MAX_FAILURES; i++) {
        const response = await sut.http
          .fork()
          .post(
            '/api/auth/password/change',
            { currentPassword: `wrong ${i}`, newPassword: 'some new passphrase' },
            { token: session.accessToken },
          );
        expect(response.body.code).toBe('INVALID_CREDENTIALS');
      }
      expect((await sut.http.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(429);
    });

    it('should end the lockout when the owner resets the password by email', async () => {
      const email = await verifiedAccount();
      for (let i = 0; i < MAX_FAILURES; i++) await sut.http.post('/api/auth/login', { email, password: 'wrong one' });
      const before = smtp.mailsTo(email).length;
      expect((await sut.http.post('/api/auth/password/forgot', { email })).status).toBe(202);
      const otp = await smtp.waitForCode(email, { skip: before });
      const newPassword = 'fresh passphrase after reset';
      expect((await sut.http.post('/api/auth/password/reset', { email, otp, newPassword })).status).toBe(204);
      expect((await sut.http.post('/api/auth/login', { email, password: newPassword, client: 'native' })).status).toBe(
        200,
      );
    });
  });
});
