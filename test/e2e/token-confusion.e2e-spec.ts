import { randomBytes } from 'node:crypto';
import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTenant, signedInAs, tenantHeader, type SignedIn } from './admin-support';
import { enrolTotp, totpCode } from './mfa-support';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

const PASSWORD = 'correct horse battery staple';
/** A route every signed-in user may call, and one only an admin may: the token's kind is all that differs. */
const ME = '/api/auth/me';
const ADMIN = '/api/admin/users';

/**
 * Every secret the service hands out has one use. None of them may pass for another: not an
 * mfaToken, a mailed code or a refresh token for an access token, not an access token for an
 * mfaToken or a refresh token, not one tenant's access token for another tenant's.
 */
describe('token confusion: each secret works only where it was issued for', () => {
  let sut: TestApp;
  let smtp: SmtpTestServer;
  let admin: SignedIn;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({ THROTTLE_ENABLED: 'false', SMTP_URL: smtp.url });
    admin = await signedInAs(sut, ['admin']);
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });

  const uniqueEmail = (label: string) => `${label}-${randomBytes(6).toString('hex')}@example.com`;
  const get = (path: string, token: string, headers: Record<string, string> = {}) =>
    sut.http.get(path, { token, headers, cookies: false });

  async function expectBearerRefused(token: string, headers: Record<string, string> = {}) {
    for (const path of [ME, ADMIN]) {
      const response = await get(path, token, headers);
      expect({ path, status: response.status, code: response.body.code }).toEqual({
        path,
        status: 401,
        code: 'UNAUTHORIZED',
      });
    }
  }

  /** An admin with a password and TOTP: its password login answers an mfaToken. */
  async function mfaTokenOfAdmin(): Promise<{ mfaToken: string; secret: string }> {
    const email = uniqueEmail('mfa-admin');
    const hash = await sut.app.get(PasswordHasher).hash(PASSWORD);
    const user = await createUser(sut, { email, passwordHash: hash, roles: ['admin'] });
    const { secret } = await enrolTotp(sut, (await startSession(sut, user, { client: 'native' })).accessToken);
    const login = await sut.http.post(
      '/api/auth/login',
      { email, password: PASSWORD, client: 'native' },
      { cookies: false },
    );
    expect(login.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
    return { mfaToken: login.body.mfaToken as string, secret };
  }

  it('should accept a genuine admin access token on both routes (control)', async () => {
    expect((await get(ME, admin.token)).status).toBe(200);
    expect((await get(ADMIN, admin.token)).status).toBe(200);
  });

  it('should refuse an mfaToken as a Bearer token, and the mfaToken still works for its own route', async () => {
    const { mfaToken, secret } = await mfaTokenOfAdmin();
    await expectBearerRefused(mfaToken);
    // Still a live challenge (the refusal was about its kind): it finishes the login it was issued for.
    const verified = await sut.http.post(
      '/api/auth/mfa/verify',
      { mfaToken, method: 'totp', code: totpCode(secret), client: 'native' },
      { cookies: false },
    );
    expect(verified.status).toBe(200);
    expect((await get(ADMIN, verified.body.accessToken)).status).toBe(200);
  });

  it('should refuse a mailed email-verification code and a password-reset code as Bearer tokens', async () => {
    const email = uniqueEmail('codes');
    expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
    const verification = await smtp.waitForCode(email);
    await expectBearerRefused(verification);
    const verified = await sut.http.post('/api/auth/email/verify', { email, otp: verification, client: 'native' });
    expect(verified.status).toBe(200);
    const before = smtp.mailsTo(email).length;
    expect((await sut.http.post('/api/auth/password/forgot', { email })).status).toBe(202);
    const reset = await smtp.waitForCode(email, { skip: before });
    await expectBearerRefused(reset);
  });

  it('should refuse a refresh token as a Bearer token, and the refresh token still rotates', async () => {
    const user = await createUser(sut, { roles: ['admin'] });
    const session = await startSession(sut, user, { client: 'native' });
    expect(session.refreshToken).toMatch(/^[0-9a-f-]{36}\./);
    await expectBearerRefused(session.refreshToken);
    // Also with the id part alone (it is the session id: the `sid` of the access token).
    await expectBearerRefused(session.refreshToken.split('.')[0]);
    const refreshed = await sut.http.post(
      '/api/auth/refresh',
      { refreshToken: session.refreshToken },
      { cookies: false },
    );
    expect(refreshed.status).toBe(200);
  });

  it("should refuse another tenant's access token, even an admin's, unless the request is for that tenant", async () => {
    const other = await createTenant(sut);
    const foreign = await signedInAs(sut, ['admin'], { tenantId: other });
    await expectBearerRefused(foreign.token);
    await expectBearerRefused(foreign.token, tenantHeader('default'));
    // Control: the same token in its own tenant.
    expect((await get(ME, foreign.token, tenantHeader(other))).status).toBe(200);
    expect((await get(ADMIN, foreign.token, tenantHeader(other))).status).toBe(200);
    // And the default tenant's token is no good for the other tenant.
    await expectBearerRefused(admin.token, tenantHeader(other));
  });

  describe('an access token where another secret is expected', () => {
    it('should not pass for an mfaToken on any of the challenge routes', async () => {
      const target = await signedInAs(sut, ['admin']);
      const attempts = [
        sut.http.post('/api/auth/mfa/verify', { mfaToken: target.token, method: 'totp', code: '123456' }),
        sut.http.post('/api/auth/mfa/email/send', { mfaToken: target.token }),
        sut.http.post('/api/auth/mfa/passkey/options', { mfaToken: target.token }),
        // Its signature part alone is no mfaToken either.
        sut.http.post('/api/auth/mfa/verify', {
          mfaToken: target.token.split('.')[2],
          method: 'totp',
          code: '123456',
        }),
      ];
      for (const response of await Promise.all(attempts)) {
        // Too long for the field (400) or no live challenge (401): never a challenge it could finish.
        expect([
          { status: 400, code: 'VALIDATION_FAILED' },
          { status: 401, code: 'UNAUTHORIZED' },
        ]).toContainEqual({ status: response.status, code: response.body.code });
      }
    });

    it('should not pass for a refresh token, neither in the body nor as the refresh cookie', async () => {
      const target = await signedInAs(sut, ['admin']);
      const body = await sut.http.post('/api/auth/refresh', { refreshToken: target.token }, { cookies: false });
      expect([
        { status: 400, code: 'VALIDATION_FAILED' },
        { status: 401, code: 'REFRESH_TOKEN_INVALID' },
      ]).toContainEqual({ status: body.status, code: body.body.code });
      // The cookie has no length limit: the token reaches the refresh logic itself.
      const cookie = await sut.http.post('/api/auth/refresh', undefined, {
        cookies: false,
        headers: { cookie: `sa_refresh=${target.token}`, origin: 'http://localhost:3000' },
      });
      expect({ status: cookie.status, code: cookie.body.code }).toEqual({ status: 401, code: 'REFRESH_TOKEN_INVALID' });
      // Nor with a refresh-token shape built from it (its sid and its signature).
      const [, payload, signature] = target.token.split('.');
      const { sid } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string };
      const shaped = await sut.http.post(
        '/api/auth/refresh',
        { refreshToken: `${sid}.${signature.slice(0, 43)}` },
        { cookies: false },
      );
      expect({ status: shaped.status, code: shaped.body.code }).toEqual({ status: 401, code: 'REFRESH_TOKEN_INVALID' });
      // The session is untouched by all this.
      expect((await get(ME, target.token)).status).toBe(200);
    });

    it('should not pass an mfaToken for a refresh token', async () => {
      const { mfaToken } = await mfaTokenOfAdmin();
      const response = await sut.http.post('/api/auth/refresh', { refreshToken: mfaToken }, { cookies: false });
      expect({ status: response.status, code: response.body.code }).toEqual({
        status: 401,
        code: 'REFRESH_TOKEN_INVALID',
      });
    });
  });
});
