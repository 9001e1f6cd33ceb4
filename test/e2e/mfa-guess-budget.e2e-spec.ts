import { randomInt } from 'node:crypto';
import { MFA_TOKEN_MAX_FAILURES, MfaTokenStore } from '../../src/modules/mfa/mfa-token.store';
import type { TestResponse } from '../support/http-client';
import { startTestApp, type TestApp } from '../support/test-app';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { auditEventsOf, enrolTotp, passwordChallenge, passwordUser, registerPasskey, totpCode } from './mfa-support';

const LOGIN_MAX_FAILURES = 10;

/**
 * Security review, round 2, finding 4: with the password known, 12 mfaTokens × 4 concurrent wrong
 * TOTP codes had 48 guesses evaluated against a budget of 10, and a right code in the same burst
 * signed in. Every guess must hold a place in the budget before its factor is checked.
 */
describe('MFA: the guess budget holds under concurrent bursts', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_ENABLED: 'false', LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES) });
  });
  afterAll(() => sut.close());

  /** The victim, whose password the attacker knows. */
  async function victimWithTotp(app: TestApp) {
    const { user, token } = await passwordUser(app);
    const { secret } = await enrolTotp(app, token);
    return { user, token, secret };
  }

  /** One password login per mfaToken, as the attacker would run them. */
  async function mfaTokens(app: TestApp, email: string, count: number): Promise<string[]> {
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) tokens.push((await passwordChallenge(app, email)).mfaToken);
    return tokens;
  }

  /** Distinct six-digit codes that no TOTP step near now accepts. */
  function wrongCodes(secret: string, count: number): string[] {
    const valid = new Set([-2, -1, 0, 1, 2].map((step) => totpCode(secret, Date.now() + step * 30_000)));
    const codes = new Set<string>();
    while (codes.size < count) {
      const code = String(randomInt(1_000_000)).padStart(6, '0');
      if (!valid.has(code)) codes.add(code);
    }
    return [...codes];
  }

  const verify = (app: TestApp, body: Record<string, unknown>) =>
    app.http.post('/api/auth/mfa/verify', body, { cookies: false });

  /** Wrong guesses whose factor was checked: each one is audited. */
  async function wrongGuessesChecked(app: TestApp, userId: string) {
    return (await auditEventsOf(app, userId, 'mfa.challenge.failed')).length;
  }

  const signedIn = (responses: TestResponse[]) => responses.filter((response) => response.status === 200).length;

  function expectOnlyRefusalsAndVerdicts(responses: TestResponse[], refusal: { status: number; code: string }) {
    for (const response of responses) {
      const outcome = `${response.status} ${response.body?.code ?? ''}`.trim();
      expect(['200', '401 MFA_INVALID', `${refusal.status} ${refusal.code}`]).toContain(outcome);
    }
  }

  it('should check at most LOGIN_MAX_FAILURES wrong codes when 12 mfaTokens × 4 wrong TOTP codes and the right one race', async () => {
    const { user, secret } = await victimWithTotp(sut);
    const tokens = await mfaTokens(sut, user.email!, 13);
    const codes = wrongCodes(secret, 48);
    const rightToken = tokens.pop()!;

    const responses = await Promise.all([
      ...codes.map((code, i) => verify(sut, { mfaToken: tokens[i % 12], method: 'totp', code })),
      verify(sut, { mfaToken: rightToken, method: 'totp', code: totpCode(secret) }),
    ]);

    expect(await wrongGuessesChecked(sut, user.id)).toBeLessThanOrEqual(LOGIN_MAX_FAILURES);
    expectOnlyRefusalsAndVerdicts(responses, { status: 429, code: 'TOO_MANY_REQUESTS' });
    // The right code is checked only if it holds one of the budget's places (a right code gives
    // its place back, which one more wrong code may then take).
    expect(responses.filter((response) => response.status === 429).length).toBeGreaterThanOrEqual(
      responses.length - LOGIN_MAX_FAILURES - signedIn(responses),
    );
  });

  it('should hold one budget for every factor: TOTP, email code, recovery code and passkey guesses racing', async () => {
    const { user, token, secret } = await victimWithTotp(sut);
    expect((await sut.http.post('/api/mfa/email', undefined, { token, cookies: false })).status).toBe(200);
    const key = new SoftwareAuthenticator();
    await registerPasskey(sut, token, key);

    const tokens = await mfaTokens(sut, user.email!, 12);
    const guesses: Record<string, unknown>[] = [];
    const codes = wrongCodes(secret, 24);
    for (const [i, mfaToken] of tokens.entries()) {
      const options = await sut.http.post('/api/auth/mfa/passkey/options', { mfaToken }, { cookies: false });
      guesses.push(
        { mfaToken, method: 'totp', code: codes[2 * i] },
        { mfaToken, method: 'email', code: codes[2 * i + 1] },
        { mfaToken, method: 'recovery_code', code: 'aaaaa-bbbbb' },
        { mfaToken, method: 'passkey', response: key.get(options.body, { origin: 'https://evil.example' }) },
      );
    }

    const responses = await Promise.all(guesses.map((guess) => verify(sut, guess)));

    // All of the budget, and no more: refused guesses take no place.
    expect(await wrongGuessesChecked(sut, user.id)).toBe(LOGIN_MAX_FAILURES);
    expectOnlyRefusalsAndVerdicts(responses, { status: 429, code: 'TOO_MANY_REQUESTS' });
    // Spent by the burst: even the right code now waits out the window.
    const [fresh] = await mfaTokens(sut, user.email!, 1);
    expect((await verify(sut, { mfaToken: fresh, method: 'totp', code: totpCode(secret) })).status).toBe(429);
  });

  it('should check at most 5 codes on one mfaToken, right one included, when 12 wrong codes and the right one race', async () => {
    // A roomy account budget, so that only the token's own limit is under test.
    const roomy = await startTestApp({ THROTTLE_ENABLED: 'false', LOGIN_MAX_FAILURES: '1000' }, sut.resources);
    try {
      const { user, secret } = await victimWithTotp(roomy);
      const [mfaToken] = await mfaTokens(roomy, user.email!, 1);
      const responses = await Promise.all([
        ...wrongCodes(secret, 12).map((code) => verify(roomy, { mfaToken, method: 'totp', code })),
        verify(roomy, { mfaToken, method: 'totp', code: totpCode(secret) }),
      ]);
      // A right code ends the token rather than giving its guess back: the token is single use.
      expect((await wrongGuessesChecked(roomy, user.id)) + signedIn(responses)).toBeLessThanOrEqual(
        MFA_TOKEN_MAX_FAILURES,
      );
      expectOnlyRefusalsAndVerdicts(responses, { status: 401, code: 'UNAUTHORIZED' });
    } finally {
      await roomy.close();
    }
  });

  it('should burn an mfaToken on its fifth wrong guess only, not while a right one is still in flight', async () => {
    const tokens = sut.app.get(MfaTokenStore);
    const { user } = await passwordUser(sut);
    const mfaToken = await tokens.issue({ userId: user.id, tenantId: user.tenantId, primaryAmr: ['pwd'] });
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES; i++) expect(await tokens.reserveAttempt(mfaToken)).toBe(true);
    expect(await tokens.reserveAttempt(mfaToken)).toBe(false);
    // Four wrong guesses answered, the fifth guess (the right one) not yet: the token must live.
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES - 1; i++) await tokens.recordFailure(mfaToken);
    expect(await tokens.find(mfaToken, user.tenantId)).not.toBeNull();
    await tokens.recordFailure(mfaToken);
    expect(await tokens.find(mfaToken, user.tenantId)).toBeNull();
  });

  it('should check at most LOGIN_MAX_FAILURES wrong codes when 20 wrong ones and the right one race to switch TOTP off', async () => {
    const { user, token, secret } = await victimWithTotp(sut);
    const disable = (code: string) => sut.http.delete('/api/mfa/totp', { body: { code }, token, cookies: false });
    const responses = await Promise.all([...wrongCodes(secret, 20).map(disable), disable(totpCode(secret))]);
    expect(await wrongGuessesChecked(sut, user.id)).toBeLessThanOrEqual(LOGIN_MAX_FAILURES);
    for (const response of responses) {
      // 404 NOT_FOUND: TOTP was already off when that request looked.
      expect(['204', '401 MFA_INVALID', '404 NOT_FOUND', '429 TOO_MANY_REQUESTS']).toContain(
        `${response.status} ${response.body?.code ?? ''}`.trim(),
      );
    }
  });
});
