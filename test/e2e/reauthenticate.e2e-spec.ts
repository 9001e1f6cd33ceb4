import { EntityManager } from '@mikro-orm/postgresql';
import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { LiveSessionStore } from '../../src/modules/sessions/live-session.store';
import { Session } from '../../src/modules/sessions/session.entity';
import { createUser } from '../support/factories';
import { startTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { enrolTotp, PASSWORD, passwordUser, registerPasskey, signedInUser, totpCode } from './mfa-support';
import { startSession } from './sessions-support';

const REAUTH_WINDOW_SECONDS = 600;
const LOGIN_MAX_FAILURES = 3;
const ALLOWED_ORIGIN = 'http://localhost:3000';

/** POST /api/auth/reauthenticate: step-up on the current session, without a new one. */
describe('re-authentication (POST /api/auth/reauthenticate)', () => {
  let sut: TestApp;
  let clock: TestClock;

  beforeAll(async () => {
    sut = await startTestApp({
      THROTTLE_ENABLED: 'false',
      REAUTH_WINDOW: String(REAUTH_WINDOW_SECONDS),
      LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
    });
    clock = TestClock.of(sut);
  });
  afterEach(() => clock.reset());
  afterAll(() => sut.close());

  const post = (path: string, token: string, body?: unknown) => sut.http.post(path, body, { token, cookies: false });
  const reauthenticate = (token: string, body: unknown) => post('/api/auth/reauthenticate', token, body);
  /** A step-up route that changes nothing by being called. */
  const stepUpRoute = (token: string) => post('/api/mfa/passkeys/registration/options', token);
  const goStale = () => clock.advance((REAUTH_WINDOW_SECONDS + 1) * 1000);

  async function staleUser() {
    const signedIn = await passwordUser(sut);
    goStale();
    const refused = await stepUpRoute(signedIn.token);
    expect([refused.status, refused.body.code]).toEqual([401, 'REAUTH_REQUIRED']);
    return signedIn;
  }

  it('should let the same access token pass step-up again after the password', async () => {
    const { user, token } = await staleUser();
    // The service reads its clock while answering: a second may turn between these reads.
    const before = Math.floor(clock.nowMs() / 1000);
    const response = await reauthenticate(token, { password: PASSWORD });
    const after = Math.floor(clock.nowMs() / 1000);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['authTime']);
    expect(response.body.authTime).toBeGreaterThanOrEqual(before);
    expect(response.body.authTime).toBeLessThanOrEqual(after);
    expect((await stepUpRoute(token)).status).toBe(200);
    const events = await sut.app
      .get(EntityManager)
      .fork()
      .find(AuditEvent, { subjectId: user.id, type: 'session.reauthenticated' });
    expect(events.map((event) => [event.outcome, event.data])).toEqual([['success', { method: 'password' }]]);
  });

  it('should refuse a wrong password, keep the session stale, and lock like a sign-in once the budget is spent', async () => {
    const { token } = await staleUser();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const wrong = await reauthenticate(token, { password: 'not the password' });
      expect([wrong.status, wrong.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
    }
    expect((await stepUpRoute(token)).body.code).toBe('REAUTH_REQUIRED');
    const locked = await reauthenticate(token, { password: PASSWORD });
    expect([locked.status, locked.body.code]).toEqual([429, 'TOO_MANY_REQUESTS']);
    expect((await stepUpRoute(token)).body.code).toBe('REAUTH_REQUIRED');
  });

  it('should answer INVALID_CREDENTIALS to a password for an account that has none, and audit it', async () => {
    const { user, token } = await signedInUser(sut);
    goStale();
    const response = await reauthenticate(token, { password: PASSWORD });
    expect([response.status, response.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
    expect((await stepUpRoute(token)).body.code).toBe('REAUTH_REQUIRED');
    const events = await sut.app
      .get(EntityManager)
      .fork()
      .find(AuditEvent, { subjectId: user.id, type: 'session.reauthenticated' });
    expect(events.map((event) => event.outcome)).toEqual(['failure']);
  });

  it('should take a browser session by its cookie from an allowed origin, never from a foreign one', async () => {
    const user = await createUser(sut, { passwordHash: await sut.app.get(PasswordHasher).hash(PASSWORD) });
    const session = await startSession(sut, user);
    goStale();
    const cookie = `sa_access=${session.cookies.sa_access.value}`;
    const browser = (origin: string) => ({ headers: { cookie, origin } });
    const stepUp = () =>
      sut.http.fork().post('/api/mfa/passkeys/registration/options', undefined, browser(ALLOWED_ORIGIN));

    const foreign = await sut.http
      .fork()
      .post('/api/auth/reauthenticate', { password: PASSWORD }, browser('https://evil.example'));
    expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await stepUp()).body.code).toBe('REAUTH_REQUIRED');

    const ok = await sut.http.fork().post('/api/auth/reauthenticate', { password: PASSWORD }, browser(ALLOWED_ORIGIN));
    expect(ok.status).toBe(200);
    expect((await stepUp()).status).toBe(200);
  });

  it('should accept a TOTP code once', async () => {
    const { token } = await passwordUser(sut);
    const { secret } = await enrolTotp(sut, token);
    goStale();
    const code = totpCode(secret, clock.nowMs());
    expect((await reauthenticate(token, { method: 'totp', code })).status).toBe(200);
    expect((await stepUpRoute(token)).status).toBe(200);
    const replay = await reauthenticate(token, { method: 'totp', code });
    expect([replay.status, replay.body.code]).toEqual([401, 'MFA_INVALID']);
  });

  it('should use up a recovery code', async () => {
    const { token } = await passwordUser(sut);
    const { recoveryCodes } = await enrolTotp(sut, token);
    goStale();
    const code = recoveryCodes[0];
    expect((await reauthenticate(token, { method: 'recovery_code', code })).status).toBe(200);
    const again = await reauthenticate(token, { method: 'recovery_code', code });
    expect([again.status, again.body.code]).toEqual([401, 'MFA_INVALID']);
  });

  it("should spend the account's second-factor budget on wrong codes and lock like a sign-in challenge", async () => {
    const { token } = await passwordUser(sut);
    const { secret } = await enrolTotp(sut, token);
    goStale();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const wrong = await reauthenticate(token, { method: 'totp', code: '000000' });
      expect([wrong.status, wrong.body.code]).toEqual([401, 'MFA_INVALID']);
    }
    const locked = await reauthenticate(token, { method: 'totp', code: totpCode(secret, clock.nowMs()) });
    expect([locked.status, locked.body.code]).toEqual([429, 'TOO_MANY_REQUESTS']);
    expect((await stepUpRoute(token)).body.code).toBe('REAUTH_REQUIRED');
  });

  it("should refuse another user's TOTP code and recovery code", async () => {
    const victim = await passwordUser(sut);
    const { secret, recoveryCodes } = await enrolTotp(sut, victim.token);
    const attacker = await passwordUser(sut);
    await enrolTotp(sut, attacker.token);
    goStale();

    const totp = await reauthenticate(attacker.token, { method: 'totp', code: totpCode(secret, clock.nowMs()) });
    expect([totp.status, totp.body.code]).toEqual([401, 'MFA_INVALID']);
    const recovery = await reauthenticate(attacker.token, { method: 'recovery_code', code: recoveryCodes[0] });
    expect([recovery.status, recovery.body.code]).toEqual([401, 'MFA_INVALID']);
    expect((await stepUpRoute(attacker.token)).body.code).toBe('REAUTH_REQUIRED');
    // The victim's code was not spent by the attempt.
    expect((await reauthenticate(victim.token, { method: 'recovery_code', code: recoveryCodes[0] })).status).toBe(200);
  });

  it("should add the factor to the session's amr once, in PostgreSQL and in the live record", async () => {
    const { user, token } = await passwordUser(sut);
    const { secret } = await enrolTotp(sut, token);
    goStale();
    expect((await reauthenticate(token, { method: 'totp', code: totpCode(secret, clock.nowMs()) })).status).toBe(200);
    const before = Math.floor(clock.nowMs() / 1000);
    const password = await reauthenticate(token, { password: PASSWORD });
    expect(password.status).toBe(200);
    const authTime = password.body.authTime as number;
    expect(authTime).toBeGreaterThanOrEqual(before);

    const session = await sut.app.get(EntityManager).fork().findOneOrFail(Session, { userId: user.id });
    expect(session.amr).toEqual(['pwd', 'otp']);
    expect(Math.floor(session.authTime.getTime() / 1000)).toBe(authTime);
    const live = await sut.app.get(LiveSessionStore).get(session.id);
    expect(live).toMatchObject({ amr: ['pwd', 'otp'], authTime });
  });

  it("should accept the caller's passkey and refuse another user's", async () => {
    const owner = await passwordUser(sut);
    const ownerKey = new SoftwareAuthenticator();
    await registerPasskey(sut, owner.token, ownerKey);
    const other = await passwordUser(sut);
    const otherKey = new SoftwareAuthenticator();
    await registerPasskey(sut, other.token, otherKey);
    goStale();

    const forOther = await post('/api/auth/reauthenticate/passkey/options', owner.token);
    expect(forOther.status).toBe(200);
    const stolen = await reauthenticate(owner.token, { method: 'passkey', response: otherKey.get(forOther.body) });
    expect([stolen.status, stolen.body.code]).toEqual([401, 'MFA_INVALID']);
    expect((await stepUpRoute(owner.token)).body.code).toBe('REAUTH_REQUIRED');

    const options = await post('/api/auth/reauthenticate/passkey/options', owner.token);
    const response = await reauthenticate(owner.token, { method: 'passkey', response: ownerKey.get(options.body) });
    expect(response.status).toBe(200);
    expect((await stepUpRoute(owner.token)).status).toBe(200);
  });

  it('should not offer passkey options to a user without a passkey, nor a factor they do not have', async () => {
    const { token } = await staleUser();
    expect((await post('/api/auth/reauthenticate/passkey/options', token)).body.code).toBe('MFA_INVALID');
    const totp = await reauthenticate(token, { method: 'totp', code: totpCode('JBSWY3DPEHPK3PXP', clock.nowMs()) });
    expect([totp.status, totp.body.code]).toEqual([401, 'MFA_INVALID']);
  });

  it('should refuse a revoked session, and answer nothing to a signed-out caller', async () => {
    const { token } = await staleUser();
    expect((await post('/api/auth/logout', token)).status).toBe(204);
    const response = await reauthenticate(token, { password: PASSWORD });
    expect([response.status, response.body.code]).toEqual([401, 'UNAUTHORIZED']);
    const anonymous = await sut.http.post('/api/auth/reauthenticate', { password: PASSWORD }, { cookies: false });
    expect(anonymous.status).toBe(401);
  });

  it.each([
    ['no proof', {}, 'password'],
    ['two proofs', { password: PASSWORD, method: 'totp', code: '123456' }, 'password'],
    ['a method without its code', { method: 'totp' }, 'code'],
    ['a passkey without its response', { method: 'passkey' }, 'response'],
    ['an email code (not a re-authentication factor)', { method: 'email', code: '123456' }, 'method'],
  ])('should answer 400 to %s', async (_name, body, field) => {
    const { token } = await passwordUser(sut);
    const response = await reauthenticate(token, body);
    expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(response.body.details[0].field).toBe(field);
  });
});
