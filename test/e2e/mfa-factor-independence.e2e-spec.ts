import { EntityManager } from '@mikro-orm/postgresql';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { enrolTotp, passwordChallenge, passwordUser, totpCode } from './mfa-support';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/**
 * Security review, round 2, finding 9: a user with the email factor signed in with an emailed
 * sign-in code plus an emailed MFA code, aal 2 with no password. A second factor must be
 * independent of the first: the mailbox that received the sign-in code is not a second factor.
 */
describe('MFA: the second factor is independent of the first', () => {
  let sut: TestApp;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({ THROTTLE_ENABLED: 'false', SMTP_URL: smtp.url, DELIVERY_BACKOFF_MS: '200' });
  });
  afterAll(async () => {
    await sut.close();
    await smtp.close();
  });

  const post = (path: string, body?: unknown, token?: string) => sut.http.post(path, body, { token, cookies: false });

  /** The attacker's first factor: a sign-in code read in the victim's mailbox. */
  async function emailCodeSignIn(email: string) {
    const code = smtp.nextCode(email);
    expect((await post('/api/auth/send-otp', { email })).status).toBe(202);
    const login = await post('/api/auth/verify-otp', { email, otp: await code, client: 'native' });
    expect(login.status).toBe(200);
    return login.body as { mfaRequired?: true; mfaToken: string; methods: string[]; accessToken?: string };
  }

  it('should not give aal 2 to a mailbox alone: no email factor after an email-code sign-in', async () => {
    const victim = await passwordUser(sut);
    expect((await post('/api/mfa/email', undefined, victim.token)).status).toBe(200);

    // The attacker reads the victim's mail, and nothing else.
    const login = await emailCodeSignIn(victim.email);
    expect(login.accessToken).toBeUndefined();
    expect(login.methods).not.toContain('email');
    const send = await post('/api/auth/mfa/email/send', { mfaToken: login.mfaToken });
    expect(send.status).toBe(401);
    expect(send.body.code).toBe('MFA_INVALID');

    // An MFA code mailed for the victim's own password sign-in lands in the same mailbox: it must not serve here.
    const victimChallenge = await passwordChallenge(sut, victim.email);
    const mfaCode = smtp.nextCode(victim.email);
    expect((await post('/api/auth/mfa/email/send', { mfaToken: victimChallenge.mfaToken })).status).toBe(202);
    const verified = await post('/api/auth/mfa/verify', {
      mfaToken: login.mfaToken,
      method: 'email',
      code: await mfaCode,
    });
    expect(verified.status).toBe(401);
    expect(verified.body.code).toBe('MFA_INVALID');
  });

  it('should offer only the factors independent of the mailbox after an email-code sign-in', async () => {
    const { email, token } = await passwordUser(sut);
    expect((await post('/api/mfa/email', undefined, token)).status).toBe(200);
    const { secret } = await enrolTotp(sut, token);
    const login = await emailCodeSignIn(email);
    expect(login.methods).toEqual(['totp', 'recovery_code']);
    const verified = await post('/api/auth/mfa/verify', {
      mfaToken: login.mfaToken,
      method: 'totp',
      code: totpCode(secret),
    });
    expect(verified.status).toBe(200);
    expect(claimsOf(verified.body.accessToken)).toMatchObject({ amr: ['otp', 'mfa'], aal: 2 });
  });

  it('should let a user whose only factor is email finish an email-code sign-in with a recovery code only', async () => {
    const { email, token } = await passwordUser(sut);
    const enabled = await post('/api/mfa/email', undefined, token);
    const recoveryCodes = enabled.body.recoveryCodes as string[];
    const login = await emailCodeSignIn(email);
    expect(login.methods).toEqual(['recovery_code']);
    const verified = await post('/api/auth/mfa/verify', {
      mfaToken: login.mfaToken,
      method: 'recovery_code',
      code: recoveryCodes[0],
    });
    expect(verified.status).toBe(200);
    expect(claimsOf(verified.body.accessToken).aal).toBe(2);
  });

  it('should not sign in by email code alone a user whose only factor is email and who has no recovery code left', async () => {
    const { user, email, token } = await passwordUser(sut);
    expect((await post('/api/mfa/email', undefined, token)).status).toBe(200);
    await sut.app
      .get(EntityManager)
      .fork()
      .getConnection()
      .execute('update "recovery_code" set "used_at" = now() where "user_id" = ?', [user.id]);
    const login = await emailCodeSignIn(email);
    expect(login).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: [] });
    // The password sign-in still works, with the email factor.
    expect((await passwordChallenge(sut, email)).methods).toEqual(['email']);
  });

  it('should still offer the email factor after a password sign-in', async () => {
    const { email, token } = await passwordUser(sut);
    expect((await post('/api/mfa/email', undefined, token)).status).toBe(200);
    const challenge = await passwordChallenge(sut, email);
    expect(challenge.methods).toEqual(['email', 'recovery_code']);
    const code = smtp.nextCode(email);
    expect((await post('/api/auth/mfa/email/send', { mfaToken: challenge.mfaToken })).status).toBe(202);
    const verified = await post('/api/auth/mfa/verify', {
      mfaToken: challenge.mfaToken,
      method: 'email',
      code: await code,
    });
    expect(verified.status).toBe(200);
    expect(claimsOf(verified.body.accessToken)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], aal: 2 });
  });
});
