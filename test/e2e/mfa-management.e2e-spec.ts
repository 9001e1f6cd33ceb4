import { EntityManager } from '@mikro-orm/postgresql';
import { Secret } from 'otpauth';
import type { Ciphertext } from '../../src/common/crypto';
import { UserMfa } from '../../src/modules/mfa/entities/user-mfa.entity';
import { TotpService } from '../../src/modules/mfa/totp.service';
import { User } from '../../src/modules/users/user.entity';
import { TestClock } from '../support/test-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { auditEventsOf, auditTypesOf, enrolTotp, inRequestContext, signedInUser, totpCode } from './mfa-support';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

describe('MFA management', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_ENABLED: 'false' });
  });
  afterAll(() => sut.close());

  const post = (path: string, token: string, body?: unknown) => sut.http.post(path, body, { token, cookies: false });
  const get = (path: string, token: string) => sut.http.get(path, { token, cookies: false });
  const del = (path: string, token: string, body?: unknown) => sut.http.delete(path, { token, body, cookies: false });
  const em = () => sut.app.get(EntityManager).fork();

  describe('TOTP', () => {
    it('should set up TOTP with a 160-bit secret, an otpauth URL and a QR code, inactive until confirmed', async () => {
      const { user, token } = await signedInUser(sut);
      const setup = await post('/api/mfa/totp/setup', token);
      expect(setup.status).toBe(200);
      expect(Secret.fromBase32(setup.body.secret).bytes).toHaveLength(20);
      const url = new URL(setup.body.otpauthUrl);
      expect(url.protocol).toBe('otpauth:');
      expect(decodeURIComponent(url.pathname)).toContain(user.email);
      expect(url.searchParams.get('issuer')).toBe('SecureAuth');
      expect(url.searchParams.get('digits')).toBe('6');
      expect(url.searchParams.get('period')).toBe('30');
      expect(url.searchParams.get('algorithm')).toBe('SHA1');
      expect(setup.body.qrCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      expect((await get('/api/mfa', token)).body.totp).toEqual({ enabled: false });
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(false);
    });

    it('should activate TOTP with a correct code and hand out 10 recovery codes once', async () => {
      const { user, token } = await signedInUser(sut);
      const setup = await post('/api/mfa/totp/setup', token);
      const wrong = await post('/api/mfa/totp/confirm', token, {
        code: '000000' === totpCode(setup.body.secret) ? '111111' : '000000',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('MFA_INVALID');

      const confirm = await post('/api/mfa/totp/confirm', token, { code: totpCode(setup.body.secret) });
      expect(confirm.status).toBe(200);
      expect(confirm.body.enabled).toBe(true);
      expect(confirm.body.recoveryCodes).toHaveLength(10);
      expect(new Set(confirm.body.recoveryCodes).size).toBe(10);
      for (const code of confirm.body.recoveryCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);

      const status = await get('/api/mfa', token);
      expect(status.body).toEqual({
        totp: { enabled: true },
        email: { enabled: false },
        passkeys: [],
        recoveryCodes: { remaining: 10 },
      });
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(true);
      const me = await get('/api/auth/me', token);
      expect(me.body.user.mfaEnabled).toBe(true);
      expect(await auditTypesOf(sut, user.id)).toEqual(
        expect.arrayContaining(['mfa.enabled', 'recovery_codes.generated']),
      );
      expect((await auditEventsOf(sut, user.id, 'mfa.enabled'))[0].data).toEqual({ method: 'totp' });
    });

    it('should refuse a second setup while TOTP is on', async () => {
      const { token } = await signedInUser(sut);
      await enrolTotp(sut, token);
      const again = await post('/api/mfa/totp/setup', token);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CONFLICT');
    });

    it('should keep the secret encrypted at rest, decrypting back to the secret shown once', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const [row] = await em()
        .getConnection()
        .execute<{ totp_secret: string }[]>('select "totp_secret" from "user_mfa" where "user_id" = ?', [user.id]);
      expect(row.totp_secret).not.toContain(secret);
      expect(row.totp_secret).toMatch(/^v1\.[^.]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
      const totp = sut.app.get(TotpService);
      expect(totp.decrypt(user.id, row.totp_secret as Ciphertext)).toBe(secret);
      // Bound to its user: the same ciphertext does not decrypt for anyone else.
      expect(() => totp.decrypt('00000000-0000-4000-8000-000000000000', row.totp_secret as Ciphertext)).toThrow();
    });

    it('should accept a code only once (a replayed code is refused)', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const totp = sut.app.get(TotpService);
      const code = totpCode(secret);
      expect(await inRequestContext(sut, () => totp.acceptCode(user.id, code, true))).toBe(true);
      expect(await inRequestContext(sut, () => totp.acceptCode(user.id, code, true))).toBe(false);
      // An older step (still inside the window) is refused too once a newer one was used.
      expect(
        await inRequestContext(sut, () => totp.acceptCode(user.id, totpCode(secret, Date.now() - 30_000), true)),
      ).toBe(false);
    });

    it('should let exactly one of many parallel uses of one code succeed', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const code = totpCode(secret);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => sut.app.get(TotpService).acceptCode(user.id, code, true, em())),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('should accept a code one step off and refuse one two steps off', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const totp = sut.app.get(TotpService);
      // Two steps ahead or behind: never valid.
      expect(
        await inRequestContext(sut, () => totp.acceptCode(user.id, totpCode(secret, Date.now() + 60_000), true)),
      ).toBe(false);
      expect(
        await inRequestContext(sut, () => totp.acceptCode(user.id, totpCode(secret, Date.now() - 60_000), true)),
      ).toBe(false);
      // One step ahead: valid (clock drift of the phone).
      expect(
        await inRequestContext(sut, () => totp.acceptCode(user.id, totpCode(secret, Date.now() + 30_000), true)),
      ).toBe(true);
    });

    it('should disable TOTP only with a valid code, and turn MFA off with the last factor', async () => {
      const { user, token } = await signedInUser(sut);
      const { secret } = await enrolTotp(sut, token);
      const wrong = await del('/api/mfa/totp', token, { code: totpCode(secret, Date.now() + 120_000) });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('MFA_INVALID');
      const missing = await del('/api/mfa/totp', token, {});
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('VALIDATION_FAILED');

      const ok = await del('/api/mfa/totp', token, { code: totpCode(secret) });
      expect(ok.status).toBe(204);
      const status = await get('/api/mfa', token);
      expect(status.body.totp).toEqual({ enabled: false });
      expect(status.body.recoveryCodes).toEqual({ remaining: 0 });
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(false);
      expect((await get('/api/auth/me', token)).body.user.mfaEnabled).toBe(false);
      expect((await auditEventsOf(sut, user.id, 'mfa.disabled'))[0].data).toEqual({ method: 'totp' });
      const row = await em().findOneOrFail(UserMfa, { userId: user.id });
      expect(row.totpSecret).toBeNull();
    });
  });

  it('should throttle wrong TOTP codes on management routes per account (429)', async () => {
    const strict = await startTestApp({ THROTTLE_ENABLED: 'false', LOGIN_MAX_FAILURES: '2' }, sut.resources);
    try {
      const { token } = await signedInUser(strict);
      const { secret } = await enrolTotp(strict, token);
      const wrong = totpCode(secret, Date.now() + 120_000);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await strict.http.delete('/api/mfa/totp', { token, body: { code: wrong }, cookies: false })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 429]);
      const right = await strict.http.delete('/api/mfa/totp', {
        token,
        body: { code: totpCode(secret) },
        cookies: false,
      });
      expect(right.status).toBe(429);
    } finally {
      await strict.close();
    }
  });

  describe('email factor', () => {
    it('should enable email codes for a verified email and disable them again', async () => {
      const { user, token } = await signedInUser(sut);
      const enable = await post('/api/mfa/email', token);
      expect(enable.status).toBe(200);
      expect(enable.body.enabled).toBe(true);
      expect(enable.body.recoveryCodes).toHaveLength(10);
      expect((await get('/api/mfa', token)).body.email).toEqual({ enabled: true });
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(true);

      const disable = await del('/api/mfa/email', token);
      expect(disable.status).toBe(204);
      expect((await get('/api/mfa', token)).body.email).toEqual({ enabled: false });
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(false);
      const methods = (await auditEventsOf(sut, user.id, 'mfa.enabled')).map((event) => event.data);
      expect(methods).toEqual([{ method: 'email' }]);
    });

    it('should refuse email codes as a factor while the email is not verified', async () => {
      const { token } = await signedInUser(sut, { emailVerifiedAt: null });
      const enable = await post('/api/mfa/email', token);
      expect(enable.status).toBe(403);
      expect(enable.body.code).toBe('EMAIL_NOT_VERIFIED');
    });

    it('should give recovery codes only with the first factor enrolled', async () => {
      const { token } = await signedInUser(sut);
      await enrolTotp(sut, token);
      const email = await post('/api/mfa/email', token);
      expect(email.status).toBe(200);
      expect(email.body).toEqual({ enabled: true });
    });
  });

  describe('recovery codes', () => {
    it('should regenerate 10 new codes and kill the old ones', async () => {
      const { user, token } = await signedInUser(sut);
      const { recoveryCodes: old } = await enrolTotp(sut, token);
      const again = await post('/api/mfa/recovery-codes', token);
      expect(again.status).toBe(200);
      expect(again.body.recoveryCodes).toHaveLength(10);
      expect(again.body.recoveryCodes.some((code: string) => old.includes(code))).toBe(false);
      const { RecoveryCodesService } = await import('../../src/modules/mfa/recovery-codes.service');
      const service = sut.app.get(RecoveryCodesService);
      expect(await inRequestContext(sut, () => service.consume(user, old[0]))).toBeNull();
      expect(await inRequestContext(sut, () => service.consume(user, again.body.recoveryCodes[0]))).toEqual({
        remaining: 9,
      });
      expect(await inRequestContext(sut, () => service.consume(user, again.body.recoveryCodes[0]))).toBeNull();
      expect(await auditTypesOf(sut, user.id)).toContain('recovery_codes.generated');
    });

    it('should store recovery codes hashed, never in the clear', async () => {
      const { user, token } = await signedInUser(sut);
      const { recoveryCodes } = await enrolTotp(sut, token);
      const rows = await em()
        .getConnection()
        .execute<{ code_hash: string }[]>('select "code_hash" from "recovery_code" where "user_id" = ?', [user.id]);
      expect(rows).toHaveLength(10);
      for (const row of rows) {
        expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
        for (const code of recoveryCodes) expect(row.code_hash).not.toContain(code.replace('-', ''));
      }
    });

    it('should not issue recovery codes to a user without a second factor', async () => {
      const { token } = await signedInUser(sut);
      const response = await post('/api/mfa/recovery-codes', token);
      expect(response.status).toBe(404);
    });
  });

  describe('passkeys', () => {
    async function register(token: string, authenticator: SoftwareAuthenticator, name = 'Laptop') {
      const options = await post('/api/mfa/passkeys/registration/options', token);
      expect(options.status).toBe(200);
      return post('/api/mfa/passkeys/registration/verify', token, {
        name,
        response: authenticator.create(options.body),
      });
    }

    it('should register several named passkeys, list, rename and delete them', async () => {
      const { user, token } = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      const options = await post('/api/mfa/passkeys/registration/options', token);
      expect(options.body.rp).toEqual({ id: 'localhost', name: 'SecureAuth' });
      expect(options.body.authenticatorSelection).toMatchObject({
        residentKey: 'preferred',
        userVerification: 'preferred',
      });
      expect(options.body.attestation).toBe('none');
      const first = await post('/api/mfa/passkeys/registration/verify', token, {
        name: 'Laptop',
        response: authenticator.create(options.body),
      });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ id: expect.any(String), name: 'Laptop', createdAt: expect.any(String) });
      expect(first.body.recoveryCodes).toHaveLength(10);
      const second = await register(token, authenticator, 'Phone');
      expect(second.status).toBe(201);
      expect(second.body.recoveryCodes).toBeUndefined();

      // The second options exclude the first credential.
      const list = await get('/api/mfa/passkeys', token);
      expect(list.body.map((passkey: { name: string }) => passkey.name)).toEqual(['Laptop', 'Phone']);
      expect(list.body[0]).toEqual({
        id: first.body.id,
        name: 'Laptop',
        createdAt: first.body.createdAt,
        lastUsedAt: null,
      });
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(true);

      const renamed = await sut.http.patch(
        `/api/mfa/passkeys/${first.body.id}`,
        { name: 'Work laptop' },
        { token, cookies: false },
      );
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('Work laptop');

      expect((await del(`/api/mfa/passkeys/${first.body.id}`, token)).status).toBe(204);
      expect((await del(`/api/mfa/passkeys/${second.body.id}`, token)).status).toBe(204);
      expect((await get('/api/mfa/passkeys', token)).body).toEqual([]);
      expect((await em().findOneOrFail(User, { id: user.id })).isMfaEnabled).toBe(false);
      const types = await auditTypesOf(sut, user.id);
      expect(types.filter((type) => type === 'passkey.registered')).toHaveLength(2);
      expect(types.filter((type) => type === 'passkey.removed')).toHaveLength(2);
    });

    it("should answer NOT_FOUND for another user's passkey", async () => {
      const owner = await signedInUser(sut);
      const other = await signedInUser(sut);
      const created = await register(owner.token, new SoftwareAuthenticator());
      const id = created.body.id;
      expect(
        (await sut.http.patch(`/api/mfa/passkeys/${id}`, { name: 'x' }, { token: other.token, cookies: false })).status,
      ).toBe(404);
      expect((await del(`/api/mfa/passkeys/${id}`, other.token)).status).toBe(404);
      expect((await del('/api/mfa/passkeys/not-a-uuid', other.token)).status).toBe(404);
      expect((await get('/api/mfa/passkeys', owner.token)).body).toHaveLength(1);
    });

    it('should refuse a registration from a wrong origin', async () => {
      const { token } = await signedInUser(sut);
      const options = await post('/api/mfa/passkeys/registration/options', token);
      const response = new SoftwareAuthenticator().create(options.body, { origin: 'https://evil.example' });
      const verify = await post('/api/mfa/passkeys/registration/verify', token, { name: 'x', response });
      expect(verify.status).toBe(400);
      expect(verify.body.code).toBe('VALIDATION_FAILED');
      expect((await get('/api/mfa/passkeys', token)).body).toEqual([]);
    });

    it('should refuse a registration challenge used twice', async () => {
      const { token } = await signedInUser(sut);
      const options = await post('/api/mfa/passkeys/registration/options', token);
      const authenticator = new SoftwareAuthenticator();
      const first = await post('/api/mfa/passkeys/registration/verify', token, {
        name: 'a',
        response: authenticator.create(options.body),
      });
      expect(first.status).toBe(201);
      const replay = await post('/api/mfa/passkeys/registration/verify', token, {
        name: 'b',
        response: authenticator.create(options.body),
      });
      expect(replay.status).toBe(400);
    });

    it('should refuse a registration without user presence', async () => {
      const { token } = await signedInUser(sut);
      const options = await post('/api/mfa/passkeys/registration/options', token);
      const response = new SoftwareAuthenticator().create(options.body, { up: false });
      expect((await post('/api/mfa/passkeys/registration/verify', token, { name: 'x', response })).status).toBe(400);
    });

    it('should refuse a credential id registered twice with CONFLICT', async () => {
      const first = await signedInUser(sut);
      const second = await signedInUser(sut);
      const authenticator = new SoftwareAuthenticator();
      const created = await register(first.token, authenticator);
      expect(created.status).toBe(201);
      const [credentialId] = [...authenticator.credentials.values()].map((credential) => credential.id);
      for (const { token } of [first, second]) {
        const options = await post('/api/mfa/passkeys/registration/options', token);
        const response = authenticator.create(options.body, { credentialId });
        const again = await post('/api/mfa/passkeys/registration/verify', token, { name: 'dup', response });
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('CONFLICT');
      }
    });
  });

  describe('step-up', () => {
    it('should require a recent login for factor changes (REAUTH_REQUIRED) but not for reading', async () => {
      const stale = await startTestApp({ THROTTLE_ENABLED: 'false', REAUTH_WINDOW: '1' }, sut.resources);
      try {
        const user = await createUser(stale);
        const { accessToken: token } = await startSession(stale, user, { client: 'native' });
        const call = (method: 'post' | 'delete', path: string, body?: unknown) =>
          stale.http.request(method.toUpperCase(), path, { token, body, cookies: false });
        // Past REAUTH_WINDOW by this app's clock: no waiting for the second to pass.
        TestClock.of(stale).advance(2000);
        const routes: Array<['post' | 'delete', string, unknown?]> = [
          ['post', '/api/mfa/totp/setup'],
          ['post', '/api/mfa/totp/confirm', { code: '123456' }],
          ['delete', '/api/mfa/totp', { code: '123456' }],
          ['post', '/api/mfa/email'],
          ['delete', '/api/mfa/email'],
          ['post', '/api/mfa/passkeys/registration/options'],
          ['delete', '/api/mfa/passkeys/00000000-0000-4000-8000-000000000000'],
          ['post', '/api/mfa/recovery-codes'],
        ];
        for (const [method, path, body] of routes) {
          const response = await call(method, path, body);
          expect({ path, status: response.status, code: response.body.code }).toEqual({
            path,
            status: 401,
            code: 'REAUTH_REQUIRED',
          });
        }
        expect((await stale.http.get('/api/mfa', { token, cookies: false })).status).toBe(200);
      } finally {
        await stale.close();
      }
    });

    it('should refuse every management route without a session', async () => {
      for (const path of ['/api/mfa', '/api/mfa/passkeys']) {
        expect((await sut.http.get(path, { cookies: false })).status).toBe(401);
      }
      expect((await sut.http.post('/api/mfa/totp/setup', undefined, { cookies: false })).status).toBe(401);
    });
  });
});
