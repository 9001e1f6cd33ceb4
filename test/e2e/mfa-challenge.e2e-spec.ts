import { RequestContext as OrmContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { MfaService } from '../../src/modules/mfa/mfa.service';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { User } from '../../src/modules/users/user.entity';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { auditEventsOf, enrolTotp, signedInUser, totpCode } from './mfa-support';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

describe('MFA login challenge and passwordless passkeys', () => {
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

  /** What the password (or OTP) login does once the first factor passed. */
  async function challengeFor(app: TestApp, userId: string, primaryAmr = ['pwd']) {
    const em = app.app.get(EntityManager);
    return OrmContext.create(em, async () => {
      const user = await em.findOneOrFail(User, { id: userId });
      return app.app.get(MfaService).startChallengeIfEnabled(user, {
        primaryAmr,
        ctx: { requestId: randomUUID(), ip: '127.0.0.1', userAgent: 'jest', tenantId: user.tenantId },
        client: 'native',
      });
    });
  }

  async function registerPasskey(token: string, authenticator: SoftwareAuthenticator) {
    const options = await post('/api/mfa/passkeys/registration/options', undefined, token);
    const created = await post(
      '/api/mfa/passkeys/registration/verify',
      { name: 'Key', response: authenticator.create(options.body) },
      token,
    );
    expect(created.status).toBe(201);
    return created.body;
  }

  it('should not challenge a user without a second factor', async () => {
    const { user } = await signedInUser(sut);
    expect(await challengeFor(sut, user.id)).toBeNull();
  });

  it('should list only the enabled methods in the challenge', async () => {
    const { user, token } = await signedInUser(sut);
    await enrolTotp(sut, token);
    const challenge = await challengeFor(sut, user.id);
    expect(challenge).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'] });
  });

  describe('TOTP', () => {
    it('should finish the login with a TOTP code: aal 2, amr with the first and second factor, audited', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const { mfaToken } = (await challengeFor(sut, user.id))!;
      const verified = await post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code: totpCode(secret) });
      expect(verified.status).toBe(200);
      expect(verified.body.user.id).toBe(user.id);
      expect(verified.body.user.mfaEnabled).toBe(true);
      expect(verified.body.refreshToken).toEqual(expect.any(String));
      const claims = claimsOf(verified.body.accessToken);
      expect(claims.aal).toBe(2);
      expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
      const me = await sut.http.get('/api/auth/me', { token: verified.body.accessToken, cookies: false });
      expect(me.body.session.aal).toBe(2);
      expect((await auditEventsOf(sut, user.id, 'mfa.challenge.succeeded'))[0].data).toEqual({ method: 'totp' });
    });

    it('should accept an mfaToken once only', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const { mfaToken } = (await challengeFor(sut, user.id))!;
      expect((await post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code: totpCode(secret) })).status).toBe(
        200,
      );
      const again = await post('/api/auth/mfa/verify', {
        mfaToken,
        method: 'totp',
        code: totpCode(secret, Date.now() + 30_000),
      });
      expect(again.status).toBe(401);
      expect(again.body).toMatchObject({
        code: 'UNAUTHORIZED',
        error: 'The mfaToken was already used or has expired (it lives 5 minutes): sign in again',
      });
    });

    it('should refuse a TOTP code already used for another login', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const code = totpCode(secret);
      const first = (await challengeFor(sut, user.id))!;
      expect((await post('/api/auth/mfa/verify', { mfaToken: first.mfaToken, method: 'totp', code })).status).toBe(200);
      const second = (await challengeFor(sut, user.id))!;
      const replay = await post('/api/auth/mfa/verify', { mfaToken: second.mfaToken, method: 'totp', code });
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({
        code: 'MFA_INVALID',
        error: 'Second factor refused: wrong, already used or expired',
      });
    });

    it('should let exactly one of parallel verifications of one challenge start a session', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const { mfaToken } = (await challengeFor(sut, user.id))!;
      const code = totpCode(secret);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code })),
      );
      expect(results.filter((result) => result.status === 200)).toHaveLength(1);
      expect(results.every((result) => result.status === 200 || result.status === 401)).toBe(true);
    });

    it('should answer MFA_INVALID for a wrong code, audit it, and burn the token after 5 failures', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const { mfaToken } = (await challengeFor(sut, user.id))!;
      const wrong = totpCode(secret, Date.now() + 120_000);
      for (let i = 0; i < 5; i++) {
        const response = await post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code: wrong });
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('MFA_INVALID');
      }
      const right = await post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code: totpCode(secret) });
      expect(right.status).toBe(401);
      expect(right.body.code).toBe('UNAUTHORIZED');
      const failed = await auditEventsOf(sut, user.id, 'mfa.challenge.failed');
      expect(failed).toHaveLength(5);
      expect(failed[0].outcome).toBe('failure');
      expect(failed[0].data).toEqual({ method: 'totp' });
    });

    it('should refuse a method the user has not enabled', async () => {
      const { user, token } = await signedInUser(sut);
      await enrolTotp(sut, token);
      const { mfaToken } = (await challengeFor(sut, user.id))!;
      const response = await post('/api/auth/mfa/verify', { mfaToken, method: 'email', code: '123456' });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('MFA_INVALID');
      expect((await post('/api/auth/mfa/email/send', { mfaToken })).body.code).toBe('MFA_INVALID');
    });

    it('should answer UNAUTHORIZED for unknown or malformed mfaTokens', async () => {
      for (const mfaToken of ['x'.repeat(43), 'not a token']) {
        const response = await post('/api/auth/mfa/verify', { mfaToken, method: 'totp', code: '123456' });
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('UNAUTHORIZED');
      }
      const missing = await post('/api/auth/mfa/verify', { method: 'totp', code: '123456' });
      expect(missing.status).toBe(400);
      const badMethod = await post('/api/auth/mfa/verify', { mfaToken: 'x', method: 'sms' });
      expect(badMethod.status).toBe(400);
    });

    it('should not accept an mfaToken under another tenant', async () => {
      const tenant = await sut.app.get(TenantsService).create(`other-${randomUUID().slice(0, 8)}`, 'Other');
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const { mfaToken } = (await challengeFor(sut, user.id))!;
      const body = { mfaToken, method: 'totp', code: totpCode(secret) };
      const elsewhere = await sut.http.post('/api/auth/mfa/verify', body, {
        cookies: false,
        headers: { 'x-tenant-id': tenant.id },
      });
      expect(elsewhere.status).toBe(401);
      expect(elsewhere.body.code).toBe('UNAUTHORIZED');
      // Still usable where it belongs.
      expect((await post('/api/auth/mfa/verify', body)).status).toBe(200);
    });

    it('should throttle wrong second factors per account across tokens (429)', async () => {
      const strict = await startTestApp({ THROTTLE_ENABLED: 'false', LOGIN_MAX_FAILURES: '3' }, sut.resources);
      try {
        const { user, token } = await signedInUser(strict);
        const { secret } = await enrolTotp(strict, token);
        const wrong = totpCode(secret, Date.now() + 120_000);
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) {
          const { mfaToken } = (await challengeFor(strict, user.id))!;
          const response = await strict.http.post(
            '/api/auth/mfa/verify',
            { mfaToken, method: 'totp', code: wrong },
            { cookies: false },
          );
          statuses.push(response.status);
          if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        expect(statuses).toEqual([401, 401, 401, 429]);
        // Even the right code waits out the window.
        const { mfaToken } = (await challengeFor(strict, user.id))!;
        const right = await strict.http.post(
          '/api/auth/mfa/verify',
          { mfaToken, method: 'totp', code: totpCode(secret) },
          { cookies: false },
        );
        expect(right.status).toBe(429);
      } finally {
        await strict.close();
      }
    });
  });

  describe('email codes', () => {
    it('should mail a code to the account email and finish the login with it', async () => {
      const { user, token } = await signedInUser(sut);
      expect((await post('/api/mfa/email', undefined, token)).status).toBe(200);
      const challenge = (await challengeFor(sut, user.id))!;
      expect(challenge.methods).toEqual(['email', 'recovery_code']);
      const sent = await post('/api/auth/mfa/email/send', { mfaToken: challenge.mfaToken });
      expect(sent.status).toBe(202);
      expect(sent.body).toMatchObject({ status: 'sent', channel: 'email', expiresIn: 600 });
      const code = await smtp.waitForCode(user.email!);
      const wrong = await post('/api/auth/mfa/verify', {
        mfaToken: challenge.mfaToken,
        method: 'email',
        code: code === '000000' ? '111111' : '000000',
      });
      expect(wrong.body.code).toBe('MFA_INVALID');
      const verified = await post('/api/auth/mfa/verify', { mfaToken: challenge.mfaToken, method: 'email', code });
      expect(verified.status).toBe(200);
      expect(claimsOf(verified.body.accessToken).aal).toBe(2);
    });
  });

  describe('recovery codes', () => {
    it('should sign in with a recovery code once, tell how many remain, and audit it', async () => {
      const { user, token } = await signedInUser(sut);
      const { recoveryCodes } = await enrolTotp(sut, token);
      const first = (await challengeFor(sut, user.id))!;
      const verified = await post('/api/auth/mfa/verify', {
        mfaToken: first.mfaToken,
        method: 'recovery_code',
        code: recoveryCodes[0].toUpperCase(),
      });
      expect(verified.status).toBe(200);
      expect(verified.body.recoveryCodesRemaining).toBe(9);
      expect((await auditEventsOf(sut, user.id, 'recovery_code.used'))[0].data).toEqual({ remaining: 9 });

      const second = (await challengeFor(sut, user.id))!;
      const reused = await post('/api/auth/mfa/verify', {
        mfaToken: second.mfaToken,
        method: 'recovery_code',
        code: recoveryCodes[0],
      });
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('MFA_INVALID');
      const status = await sut.http.get('/api/mfa', { token, cookies: false });
      expect(status.body.recoveryCodes).toEqual({ remaining: 9 });
    });
  });

  describe('passkey as second factor', () => {
    it('should offer the user passkeys and finish the login with an assertion', async () => {
      const { user, token } = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      const passkey = await registerPasskey(token, authenticator);
      const challenge = (await challengeFor(sut, user.id))!;
      expect(challenge.methods).toEqual(['passkey', 'recovery_code']);
      const options = await post('/api/auth/mfa/passkey/options', { mfaToken: challenge.mfaToken });
      expect(options.status).toBe(200);
      expect(options.body.allowCredentials.map((credential: { id: string }) => credential.id)).toEqual([
        ...authenticator.credentials.keys(),
      ]);
      expect(options.body.userVerification).toBe('preferred');
      const response = authenticator.get(options.body);
      const verified = await post('/api/auth/mfa/verify', {
        mfaToken: challenge.mfaToken,
        method: 'passkey',
        response,
      });
      expect(verified.status).toBe(200);
      const claims = claimsOf(verified.body.accessToken);
      expect(claims.aal).toBe(2);
      expect(claims.amr).toEqual(['pwd', 'hwk', 'mfa']);
      const list = await sut.http.get('/api/mfa/passkeys', { token, cookies: false });
      expect(list.body[0].id).toBe(passkey.id);
      expect(list.body[0].lastUsedAt).toEqual(expect.any(String));
    });

    async function attempt(overrides: Parameters<SoftwareAuthenticator['get']>[1], reuse = false) {
      const { user, token } = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      await registerPasskey(token, authenticator);
      if (reuse) {
        // A first login moves the counter on; the attacker then replays an earlier value.
        const warmup = (await challengeFor(sut, user.id))!;
        const options = await post('/api/auth/mfa/passkey/options', { mfaToken: warmup.mfaToken });
        const ok = await post('/api/auth/mfa/verify', {
          mfaToken: warmup.mfaToken,
          method: 'passkey',
          response: authenticator.get(options.body, { counter: 5 }),
        });
        expect(ok.status).toBe(200);
      }
      const challenge = (await challengeFor(sut, user.id))!;
      const options = await post('/api/auth/mfa/passkey/options', { mfaToken: challenge.mfaToken });
      return post('/api/auth/mfa/verify', {
        mfaToken: challenge.mfaToken,
        method: 'passkey',
        response: authenticator.get(options.body, overrides),
      });
    }

    it('should refuse an assertion from a wrong origin', async () => {
      const response = await attempt({ origin: 'https://evil.example' });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('MFA_INVALID');
    });

    it('should refuse an assertion without user presence', async () => {
      const response = await attempt({ up: false, uv: false });
      expect(response.body.code).toBe('MFA_INVALID');
    });

    it('should refuse a signature counter that went backwards', async () => {
      const response = await attempt({ counter: 3 }, true);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('MFA_INVALID');
    });

    it('should refuse an assertion for a challenge already used', async () => {
      const { user, token } = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      await registerPasskey(token, authenticator);
      const challenge = (await challengeFor(sut, user.id))!;
      const options = await post('/api/auth/mfa/passkey/options', { mfaToken: challenge.mfaToken });
      const wrongOrigin = authenticator.get(options.body, { origin: 'https://evil.example' });
      expect(
        (await post('/api/auth/mfa/verify', { mfaToken: challenge.mfaToken, method: 'passkey', response: wrongOrigin }))
          .status,
      ).toBe(401);
      // The challenge died with the first attempt: a correct assertion over it is refused too.
      const replay = authenticator.get(options.body);
      const response = await post('/api/auth/mfa/verify', {
        mfaToken: challenge.mfaToken,
        method: 'passkey',
        response: replay,
      });
      expect(response.body.code).toBe('MFA_INVALID');
    });

    it("should refuse another user's passkey as the second factor", async () => {
      const victim = await signedInUser(sut);
      await registerPasskey(victim.token, new SoftwareAuthenticator());
      const attacker = await signedInUser(sut);
      const attackerKey = new SoftwareAuthenticator();
      await registerPasskey(attacker.token, attackerKey);
      const challenge = (await challengeFor(sut, victim.user.id))!;
      const options = await post('/api/auth/mfa/passkey/options', { mfaToken: challenge.mfaToken });
      const response = await post('/api/auth/mfa/verify', {
        mfaToken: challenge.mfaToken,
        method: 'passkey',
        response: attackerKey.get({ ...options.body, allowCredentials: [] }),
      });
      expect(response.body.code).toBe('MFA_INVALID');
    });
  });

  describe('passwordless passkey', () => {
    it('should give the same kind of options to every caller, without allowCredentials', async () => {
      const first = await post('/api/auth/passkey/options', {});
      const second = await post('/api/auth/passkey/options', {});
      expect(first.status).toBe(200);
      expect(Object.keys(first.body).sort()).toEqual(Object.keys(second.body).sort());
      expect(first.body.allowCredentials).toBeUndefined();
      expect(first.body.challenge).not.toBe(second.body.challenge);
      expect((await post('/api/auth/passkey/options', { email: 'a@b.co' })).status).toBe(400);
    });

    it('should sign in with a discoverable passkey that verified its user: aal 2; without user verification, not at all', async () => {
      const { user, token } = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      await registerPasskey(token, authenticator);
      const options = await post('/api/auth/passkey/options', {});
      const verified = await post('/api/auth/passkey/verify', {
        response: authenticator.get(options.body),
        client: 'native',
      });
      expect(verified.status).toBe(200);
      expect(verified.body.user.id).toBe(user.id);
      const claims = claimsOf(verified.body.accessToken);
      expect(claims.amr).toEqual(['hwk']);
      expect(claims.aal).toBe(2);
      const touchOnly = await post('/api/auth/passkey/verify', {
        response: authenticator.get((await post('/api/auth/passkey/options', {})).body, { uv: false }),
      });
      expect(touchOnly.status).toBe(401);
      expect(touchOnly.body.code).toBe('UNAUTHORIZED');
    });

    it('should refuse a reused challenge, an unknown credential and a wrong user handle alike', async () => {
      const { token } = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      await registerPasskey(token, authenticator);

      const options = await post('/api/auth/passkey/options', {});
      expect((await post('/api/auth/passkey/verify', { response: authenticator.get(options.body) })).status).toBe(200);
      const replay = await post('/api/auth/passkey/verify', { response: authenticator.get(options.body) });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('UNAUTHORIZED');

      const stranger = new SoftwareAuthenticator();
      const strangerOptions = await post('/api/mfa/passkeys/registration/options', undefined, token);
      stranger.create(strangerOptions.body); // never sent to the server
      const unknown = await post('/api/auth/passkey/verify', {
        response: stranger.get((await post('/api/auth/passkey/options', {})).body),
      });
      expect(unknown.status).toBe(401);
      expect(unknown.body.code).toBe('UNAUTHORIZED');

      const other = await signedInUser(sut);
      const wrongHandle = await post('/api/auth/passkey/verify', {
        response: authenticator.get((await post('/api/auth/passkey/options', {})).body, {
          userHandle: Buffer.from(other.user.id).toString('base64url'),
        }),
      });
      expect(wrongHandle.status).toBe(401);
      expect(wrongHandle.body.code).toBe('UNAUTHORIZED');
    });
  });
});
