import { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../support/test-app';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { enrolTotp, passwordChallenge, passwordUser, registerPasskey } from './mfa-support';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/**
 * Security review, round 2, finding 3: a security key added as a second factor, without user
 * verification, signed in alone at POST /api/auth/passkey/verify, with a fresh auth_time that
 * was enough to mint new recovery codes. A key that only proves presence is something the user
 * has: one factor, whoever holds it.
 */
describe('MFA: only a passkey that verifies its user signs in alone', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_ENABLED: 'false' });
  });
  afterAll(() => sut.close());

  const post = (path: string, body?: unknown) => sut.http.post(path, body, { cookies: false });

  async function passwordlessSignIn(authenticator: SoftwareAuthenticator, uv?: boolean) {
    const options = await post('/api/auth/passkey/options', {});
    expect(options.status).toBe(200);
    return post('/api/auth/passkey/verify', {
      response: authenticator.get(options.body, uv === undefined ? {} : { uv }),
      client: 'native',
    });
  }

  async function secondFactorSignIn(email: string, authenticator: SoftwareAuthenticator) {
    const { mfaToken } = await passwordChallenge(sut, email);
    const options = await post('/api/auth/mfa/passkey/options', { mfaToken });
    return post('/api/auth/mfa/verify', { mfaToken, method: 'passkey', response: authenticator.get(options.body) });
  }

  it('should not sign in passwordless with a second-factor key that never verified its user', async () => {
    const victim = await passwordUser(sut);
    await enrolTotp(sut, victim.token);
    const securityKey = new SoftwareAuthenticator(undefined, { verifiesUser: false });
    await registerPasskey(sut, victim.token, securityKey);

    // The attacker holds the key only: no password, no TOTP. A session here would carry a fresh
    // auth_time, enough to mint new recovery codes and keep the account.
    const stolen = await passwordlessSignIn(securityKey);
    expect(stolen.status).toBe(401);
    expect(stolen.body.code).toBe('UNAUTHORIZED');
  });

  it('should not sign in passwordless when a user-verifying passkey asserts without user verification', async () => {
    const victim = await passwordUser(sut);
    const passkey = new SoftwareAuthenticator();
    await registerPasskey(sut, victim.token, passkey);
    const touchOnly = await passwordlessSignIn(passkey, false);
    expect(touchOnly.status).toBe(401);
    expect(touchOnly.body.code).toBe('UNAUTHORIZED');
  });

  it('should not promote a key registered without user verification when it later asserts with it', async () => {
    const victim = await passwordUser(sut);
    const securityKey = new SoftwareAuthenticator(undefined, { verifiesUser: false });
    await registerPasskey(sut, victim.token, securityKey);
    const withPin = await passwordlessSignIn(securityKey, true);
    expect(withPin.status).toBe(401);
    expect(withPin.body.code).toBe('UNAUTHORIZED');
  });

  it('should treat a passkey stored before user verification was recorded as a second factor only', async () => {
    const victim = await passwordUser(sut);
    const passkey = new SoftwareAuthenticator();
    const { id } = await registerPasskey(sut, victim.token, passkey);
    // What the migration leaves in rows registered before the flag existed.
    await sut.app
      .get(EntityManager)
      .fork()
      .getConnection()
      .execute('update "passkey" set "has_user_verification" = default where "id" = ?', [id]);
    expect((await passwordlessSignIn(passkey)).status).toBe(401);
    expect((await secondFactorSignIn(victim.email, passkey)).status).toBe(200);
  });

  it('should still accept the key without user verification as the second factor after the password', async () => {
    const victim = await passwordUser(sut);
    const securityKey = new SoftwareAuthenticator(undefined, { verifiesUser: false });
    await registerPasskey(sut, victim.token, securityKey);
    const verified = await secondFactorSignIn(victim.email, securityKey);
    expect(verified.status).toBe(200);
    expect(claimsOf(verified.body.accessToken)).toMatchObject({ amr: ['pwd', 'hwk', 'mfa'], aal: 2 });
  });

  it('should sign in passwordless at aal 2 with a passkey registered and asserted with user verification', async () => {
    const { user, token } = await passwordUser(sut);
    const passkey = new SoftwareAuthenticator();
    await registerPasskey(sut, token, passkey);
    const options = await post('/api/auth/passkey/options', {});
    expect(options.body.userVerification).toBe('required');
    const verified = await post('/api/auth/passkey/verify', { response: passkey.get(options.body) });
    expect(verified.status).toBe(200);
    expect(verified.body.user.id).toBe(user.id);
    expect(claimsOf(verified.body.accessToken)).toMatchObject({ amr: ['hwk'], aal: 2 });
  });
});
