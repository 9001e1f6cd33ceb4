import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { enrolTotp, totpCode } from './mfa-support';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

const PASSWORD = 'correct horse battery staple 42';
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

describe('MFA in the password and OTP logins', () => {
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

  async function passwordUser() {
    const user = await createUser(sut, { passwordHash: await sut.app.get(PasswordHasher).hash(PASSWORD) });
    const { accessToken } = await startSession(sut, user, { client: 'native' });
    return { user, token: accessToken };
  }

  it('should sign in at once with a password when the user has no second factor', async () => {
    const { user } = await passwordUser();
    const login = await sut.http
      .fork()
      .post('/api/auth/login', { email: user.email, password: PASSWORD, client: 'native' });
    expect(login.status).toBe(200);
    expect(login.body.accessToken).toEqual(expect.any(String));
    expect(login.body.mfaRequired).toBeUndefined();
  });

  it('should answer a challenge instead of a session after the password when TOTP is on', async () => {
    const { user, token } = await passwordUser();
    const { secret } = await enrolTotp(sut, token);
    const browser = sut.http.fork();
    const login = await browser.post('/api/auth/login', { email: user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
    // No session yet: no cookies, no token.
    expect(browser.jar.size).toBe(0);

    const verified = await browser.post('/api/auth/mfa/verify', {
      mfaToken: login.body.mfaToken,
      method: 'totp',
      code: totpCode(secret),
    });
    expect(verified.status).toBe(200);
    expect(browser.jar.has('sa_refresh')).toBe(true);
    const claims = claimsOf(verified.body.accessToken);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.aal).toBe(2);
  });

  it('should not answer a challenge for a wrong password', async () => {
    const { user, token } = await passwordUser();
    await enrolTotp(sut, token);
    const login = await sut.http.fork().post('/api/auth/login', { email: user.email, password: 'wrong password 123' });
    expect(login.status).toBe(401);
    expect(login.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('should answer a challenge after an email OTP login when a second factor is on', async () => {
    const { user, token } = await passwordUser();
    const { secret } = await enrolTotp(sut, token);
    const sent = await sut.http.fork().post('/api/auth/send-otp', { email: user.email });
    expect(sent.status).toBe(202);
    const otp = await smtp.waitForCode(user.email!);
    const login = await sut.http.fork().post('/api/auth/verify-otp', { email: user.email, otp, client: 'native' });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
    const verified = await sut.http.fork().post('/api/auth/mfa/verify', {
      mfaToken: login.body.mfaToken,
      method: 'totp',
      code: totpCode(secret),
    });
    expect(verified.status).toBe(200);
    expect(verified.body.refreshToken).toEqual(expect.any(String));
    expect(claimsOf(verified.body.accessToken)).toMatchObject({ amr: ['otp', 'mfa'], aal: 2 });
  });
});
