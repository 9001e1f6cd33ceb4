import { randomBytes } from 'node:crypto';
import type { TestResponse } from '../support/http-client';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'correct horse battery staple';
/** Differ between any two requests whatever the account: ids, clock, the per-IP counters. */
const VOLATILE_HEADERS = new Set(['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset']);

const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString('hex')}@example.com`;

function observable(response: TestResponse) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !VOLATILE_HEADERS.has(name)));
  const body = typeof response.body === 'object' && response.body !== null ? { ...response.body } : response.body;
  if (body && typeof body === 'object') delete body.requestId;
  return { status: response.status, body, headers };
}

/**
 * Security review, issue 11, finding 5: telling accounts from unknown addresses by asking for a
 * code and then guessing it. A code request answers alike for every address; what follows must
 * too: the same answers to the same wrong guesses (OTP_INVALID, the 5th burns the code, then
 * OTP_EXPIRED), and a registration followed by its own password must not tell a verified
 * account from a registration waiting for its code.
 */
describe('code enumeration: wrong guesses after a code request answer alike for every address', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({
      SMTP_URL: smtp.url,
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
      OTP_RESEND_COOLDOWN: '60',
      // Every guess comes from one address: its share of a destination's failures must not end the sequence first.
      OTP_MAX_FAILURES_PER_HOUR_PER_IP: '10',
    });
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });

  async function verifiedAccount(): Promise<string> {
    const email = uniqueEmail('verified');
    expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
    const otp = await smtp.waitForCode(email);
    expect((await sut.http.fork().post('/api/auth/email/verify', { email, otp, client: 'native' })).status).toBe(200);
    return email;
  }

  /** A registration waiting for its code; answers the code it was mailed. */
  async function pendingRegistration(): Promise<{ email: string; code: string }> {
    const email = uniqueEmail('pending');
    expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
    return { email, code: await smtp.waitForCode(email) };
  }

  /** Six wrong codes (never `avoid`, the real one where the attacker's side has one): the answers, as observed. */
  async function guess(path: string, body: (otp: string) => object, avoid: string[]) {
    const guesses = ['000000', '111111', '222222', '333333', '444444', '555555', '666666', '777777'].filter(
      (candidate) => !avoid.includes(candidate),
    );
    const answers: ReturnType<typeof observable>[] = [];
    for (const otp of guesses.slice(0, 6)) answers.push(observable(await sut.http.fork().post(path, body(otp))));
    return answers;
  }

  const expectedSequence = () => [
    ...Array.from({ length: 5 }, () => ({
      status: 401,
      body: { statusCode: 401, code: 'OTP_INVALID', error: 'Wrong code: check it and try again' },
      headers: expect.any(Object),
    })),
    {
      status: 401,
      body: {
        statusCode: 401,
        code: 'OTP_EXPIRED',
        error: 'No live code here: it was already used or expired. Request a new one',
      },
      headers: expect.any(Object),
    },
  ];

  it('should answer wrong reset codes alike for an account, an unknown email and a pending registration', async () => {
    const account = await verifiedAccount();
    const pending = await pendingRegistration();
    const ghost = uniqueEmail('ghost');
    const before = smtp.mailsTo(account).length;
    for (const email of [account, ghost, pending.email]) {
      expect((await sut.http.post('/api/auth/password/forgot', { email })).status).toBe(202);
    }
    const realCode = await smtp.waitForCode(account, { skip: before });
    const reset = (email: string) =>
      guess('/api/auth/password/reset', (otp) => ({ email, otp, newPassword: 'a brand new passphrase' }), [realCode]);

    const answers = { account: await reset(account), ghost: await reset(ghost), pending: await reset(pending.email) };
    expect(answers.account).toEqual(expectedSequence());
    expect(answers.ghost).toEqual(answers.account);
    expect(answers.pending).toEqual(answers.account);
  });

  it('should answer wrong sign-in codes alike for an account, an unknown email and a pending registration', async () => {
    const account = await verifiedAccount();
    const pending = await pendingRegistration();
    const ghost = uniqueEmail('ghost');
    const before = smtp.mailsTo(account).length;
    for (const email of [account, ghost, pending.email]) {
      expect((await sut.http.post('/api/auth/send-otp', { email })).status).toBe(202);
    }
    const realCode = await smtp.waitForCode(account, { skip: before });
    const verify = (email: string) => guess('/api/auth/verify-otp', (otp) => ({ email, otp }), [realCode]);

    const answers = {
      account: await verify(account),
      ghost: await verify(ghost),
      pending: await verify(pending.email),
    };
    expect(answers.account).toEqual(expectedSequence());
    expect(answers.ghost).toEqual(answers.account);
    expect(answers.pending).toEqual(answers.account);
  });

  it('should answer wrong verification codes alike for a pending registration, an unknown and a verified email', async () => {
    const pending = await pendingRegistration();
    const account = await verifiedAccount();
    const ghost = uniqueEmail('ghost');
    for (const email of [pending.email, ghost, account]) {
      expect((await sut.http.post('/api/auth/email/resend', { email })).status).toBe(202);
    }
    const verify = (email: string) => guess('/api/auth/email/verify', (otp) => ({ email, otp }), [pending.code]);

    const answers = {
      pending: await verify(pending.email),
      ghost: await verify(ghost),
      account: await verify(account),
    };
    expect(answers.pending).toEqual(expectedSequence());
    expect(answers.ghost).toEqual(answers.pending);
    expect(answers.account).toEqual(answers.pending);
  });

  it('should not tell a verified account from a new address by registering and then signing in', async () => {
    const account = await verifiedAccount();
    const fresh = uniqueEmail('fresh');
    const probe = async (email: string) => {
      const password = 'probe password 12345';
      expect((await sut.http.post('/api/auth/register', { email, password })).status).toBe(202);
      return observable(await sut.http.fork().post('/api/auth/login', { email, password }));
    };
    const known = await probe(account);
    expect(known.body).toEqual({ statusCode: 401, code: 'INVALID_CREDENTIALS', error: 'Invalid credentials' });
    expect(await probe(fresh)).toEqual(known);
  });
});
