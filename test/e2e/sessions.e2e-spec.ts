import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { COMMANDS } from '../../src/cli/cli-runner';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import type { FastifyRequest } from 'fastify';
import { signAccessToken } from '../../src/modules/sessions/access-token';
import { AccessTokenVerifier } from '../../src/modules/sessions/access-token.verifier';
import { CROSS_SITE_REFUSED } from '../../src/modules/sessions/csrf';
import { RefreshToken, Session } from '../../src/modules/sessions/session.entity';
import { LiveSessionStore } from '../../src/modules/sessions/live-session.store';
import { LiveSessionPublisher } from '../../src/modules/sessions/live-session-publisher.service';
import { SessionRevoker } from '../../src/modules/sessions/session-revoker.service';
import { SigningKey } from '../../src/modules/sessions/signing-key.entity';
import { SigningKeysService } from '../../src/modules/sessions/signing-keys.service';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

const ALLOWED_ORIGIN = 'http://localhost:3000';

describe('sessions: tokens, refresh, logout, revocation', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(() => sut.close());

  const em = () => sut.app.get(EntityManager).fork();
  const auditTypes = async (sessionId: string) =>
    (await em().find(AuditEvent, { sessionId }, { orderBy: { createdAt: 'asc' } })).map((event) => event.type);
  /** A browser: its cookie jar holds what start() set. */
  const browserFor = (session: { cookies: Record<string, { value: string }> }) => {
    const browser = sut.http.fork({ origin: ALLOWED_ORIGIN });
    for (const [name, cookie] of Object.entries(session.cookies)) browser.jar.set(name, cookie.value);
    return browser;
  };

  describe('GET /api/auth/me', () => {
    it('should answer with the caller and their session for a bearer token', async () => {
      const user = await createUser(sut, { firstName: 'Ada' });
      const session = await startSession(sut, user, { client: 'native', aal: 2, amr: ['pwd', 'otp'] });
      const me = await sut.http.get('/api/auth/me', { token: session.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.user).toMatchObject({ id: user.id, email: user.email, profile: { firstName: 'Ada' } });
      expect(me.body.session).toMatchObject({ id: session.sessionId, aal: 2 });
      expect(me.body.session.device).toMatchObject({ name: 'Chrome on macOS' });
      expect(Date.parse(me.body.session.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    });

    it('should accept the HttpOnly access cookie of a web session', async () => {
      const session = await startSession(sut, await createUser(sut));
      const me = await browserFor(session).get('/api/auth/me');
      expect(me.status).toBe(200);
      expect(me.body.session.id).toBe(session.sessionId);
    });

    it('should refuse a request without a token with UNAUTHORIZED', async () => {
      const me = await sut.http.fork().get('/api/auth/me');
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('UNAUTHORIZED');
    });

    it('should answer from Redis after the user view is cached, and rebuild it when forgotten', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user, { client: 'native' });
      await sut.app.get(LiveSessionPublisher).forgetUserSnapshot(user.id);
      const me = await sut.http.get('/api/auth/me', { token: session.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(user.id);
    });
  });

  describe('session start', () => {
    it('should give native clients the refresh token in the body and set no cookie', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      expect(session.body.refreshToken).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(session.cookies).toEqual({});
      expect(session.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, sessionId: session.sessionId });
    });

    it('should give web clients HttpOnly SameSite=Strict cookies and no refresh token in the body', async () => {
      const session = await startSession(sut, await createUser(sut));
      expect(session.body.refreshToken).toBeUndefined();
      expect(session.cookies.sa_refresh?.options).toMatchObject({
        httpOnly: true,
        sameSite: 'strict',
        path: '/api/auth',
      });
      expect(session.cookies.sa_access?.options).toMatchObject({ httpOnly: true, sameSite: 'strict', path: '/' });
    });

    it('should store only the hash of the refresh token', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const row = await em().findOneOrFail(Session, { id: session.sessionId });
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(session.refreshToken.split('.')[1]);
      expect(await auditTypes(session.sessionId)).toContain('session.created');
    });
  });

  describe('POST /api/auth/refresh', () => {
    it('should rotate a native refresh token and kill the old one', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const first = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).toBeDefined();
      expect(first.body.refreshToken).not.toBe(session.refreshToken);
      expect(first.body.sessionId).toBe(session.sessionId);
      expect((await sut.http.get('/api/auth/me', { token: first.body.accessToken })).status).toBe(200);
      const second = await sut.http.post('/api/auth/refresh', { refreshToken: first.body.refreshToken });
      expect(second.status).toBe(200);
    });

    it('should answer the same user and device after a refresh as at sign-in, and audit it with the request', async () => {
      const user = await createUser(sut, { firstName: 'Ada', phone: '+14155550123', roles: ['user', 'support'] });
      const session = await startSession(sut, user, {
        client: 'native',
        device: { name: 'Pixel 8', platform: 'android' },
      });
      const before = await sut.http.get('/api/auth/me', { token: session.accessToken });
      const rotated = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(rotated.status).toBe(200);
      expect(rotated.body.user).toEqual(session.body.user);
      const after = await sut.http.get('/api/auth/me', { token: rotated.body.accessToken });
      expect(after.body.user).toEqual(before.body.user);
      expect(after.body.session.device).toEqual(before.body.session.device);
      expect(after.body.session.device).toMatchObject({ name: 'Pixel 8', platform: 'android' });
      const event = await em().findOneOrFail(AuditEvent, { sessionId: session.sessionId, type: 'session.refreshed' });
      expect(event).toMatchObject({
        tenantId: 'default',
        outcome: 'success',
        actorId: user.id,
        subjectId: user.id,
        deviceId: before.body.session.device.id,
        ip: expect.any(String),
        requestId: expect.any(String),
        data: null,
      });
    });

    // Strict reuse detection, as before the grace window (refresh-grace.e2e-spec.ts covers the window itself).
    describe('with REFRESH_REUSE_GRACE_SECONDS=0', () => {
      let strict: TestApp;

      beforeAll(async () => {
        strict = await startTestApp({ REFRESH_REUSE_GRACE_SECONDS: '0' }, sut.resources);
      });
      afterAll(() => strict.close());

      it('should answer REFRESH_TOKEN_REUSED to a replayed token and revoke the whole session', async () => {
        const session = await startSession(strict, await createUser(strict), { client: 'native' });
        const rotated = await strict.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
        const replay = await strict.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
        expect(replay.status).toBe(401);
        expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
        const successor = await strict.http.post('/api/auth/refresh', { refreshToken: rotated.body.refreshToken });
        expect(successor.body.code).toBe('REFRESH_TOKEN_INVALID');
        expect((await strict.http.get('/api/auth/me', { token: rotated.body.accessToken })).status).toBe(401);
        expect(await auditTypes(session.sessionId)).toEqual(
          expect.arrayContaining(['session.refreshed', 'session.revoked', 'refresh.reuse_detected']),
        );
      });

      it('should give exactly one success to 20 concurrent refreshes with one token', async () => {
        const session = await startSession(strict, await createUser(strict), { client: 'native' });
        const answers = await Promise.all(
          Array.from({ length: 20 }, () =>
            strict.http.post('/api/auth/refresh', { refreshToken: session.refreshToken }),
          ),
        );
        const ok = answers.filter((answer) => answer.status === 200);
        expect(ok).toHaveLength(1);
        for (const answer of answers.filter((entry) => entry.status !== 200)) {
          expect(['REFRESH_TOKEN_REUSED', 'REFRESH_TOKEN_INVALID']).toContain(answer.body.code);
        }
        const row = await em().findOneOrFail(Session, { id: session.sessionId });
        const successors = await em().count(RefreshToken, { sessionId: session.sessionId });
        expect(successors).toBe(1);
        if (row.revokedAt === null) {
          const me = await strict.http.get('/api/auth/me', { token: ok[0].body.accessToken });
          expect(me.status).toBe(200);
        } else {
          const me = await strict.http.get('/api/auth/me', { token: ok[0].body.accessToken });
          expect(me.status).toBe(401);
        }
      });
    });

    it('should rotate the web cookie and set it HttpOnly, SameSite=Strict, Path=/api/auth', async () => {
      const session = await startSession(sut, await createUser(sut));
      const browser = browserFor(session);
      const response = await browser.post('/api/auth/refresh');
      expect(response.status).toBe(200);
      expect(response.body.refreshToken).toBeUndefined();
      const cookies = response.headers.getSetCookie();
      const refresh = cookies.find((line) => line.startsWith('sa_refresh='))!;
      const access = cookies.find((line) => line.startsWith('sa_access='))!;
      expect(refresh).toMatch(/HttpOnly/i);
      expect(refresh).toMatch(/SameSite=Strict/i);
      expect(refresh).toMatch(/Path=\/api\/auth/);
      expect(refresh).not.toMatch(/Secure/i); // COOKIE_SECURE=false in tests
      expect(access).toMatch(/HttpOnly/i);
      expect(access).toMatch(/Path=\/(;|$)/);
      expect(browser.jar.get('sa_refresh')).not.toBe(session.refreshToken);
      expect((await browser.get('/api/auth/me')).status).toBe(200);
    });

    it('should refuse a cookie refresh from a foreign origin with FORBIDDEN', async () => {
      const session = await startSession(sut, await createUser(sut));
      const browser = browserFor(session);
      const response = await browser.post('/api/auth/refresh', undefined, {
        headers: { origin: 'https://evil.example' },
      });
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: 'FORBIDDEN', error: CROSS_SITE_REFUSED });
    });

    it('should extend the idle expiry but never the absolute one', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const before = await em().findOneOrFail(Session, { id: session.sessionId });
      await em().nativeUpdate(Session, { id: session.sessionId }, { idleExpiresAt: new Date(Date.now() + 60_000) });
      expect((await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(200);
      const after = await em().findOneOrFail(Session, { id: session.sessionId });
      expect(after.expiresAt.getTime()).toBe(before.expiresAt.getTime());
      expect(after.idleExpiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    });

    it.each([
      ['no token at all', undefined],
      ['a malformed token', { refreshToken: 'garbage' }],
      ['an unknown token', { refreshToken: `${randomUUID()}.${'A'.repeat(43)}` }],
    ])('should answer REFRESH_TOKEN_INVALID to %s', async (_name, body) => {
      const response = await sut.http.fork().post('/api/auth/refresh', body);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('REFRESH_TOKEN_INVALID');
    });

    it('should answer REFRESH_TOKEN_INVALID for an expired session', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      await em().nativeUpdate(Session, { id: session.sessionId }, { expiresAt: new Date(Date.now() - 1000) });
      const response = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(response.body.code).toBe('REFRESH_TOKEN_INVALID');
    });

    it('should answer REFRESH_TOKEN_INVALID for an idle session', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      await em().nativeUpdate(Session, { id: session.sessionId }, { idleExpiresAt: new Date(Date.now() - 1000) });
      const response = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(response.body.code).toBe('REFRESH_TOKEN_INVALID');
    });

    it('should refuse unknown body fields with VALIDATION_FAILED', async () => {
      const response = await sut.http.post('/api/auth/refresh', { refreshToken: 'x', extra: 1 });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('should not refresh a session of another tenant', async () => {
      await sut.app.get(TenantsService).create('refresh-other', 'Other');
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const response = await sut.http.post(
        '/api/auth/refresh',
        { refreshToken: session.refreshToken },
        { headers: { 'x-tenant-id': 'refresh-other' } },
      );
      expect(response.body.code).toBe('REFRESH_TOKEN_INVALID');
    });

    it('should not refresh a session of a disabled user', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user, { client: 'native' });
      await em().nativeUpdate(User, { id: user.id }, { status: 'disabled' });
      const response = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(response.body.code).toBe('REFRESH_TOKEN_INVALID');
      expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
    });

    it('should treat a disabled user’s refresh token presented again as a replay', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user, { client: 'native' });
      await em().nativeUpdate(User, { id: user.id }, { status: 'disabled' });
      const first = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(first.body.code).toBe('REFRESH_TOKEN_INVALID');
      const again = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(again.body.code).toBe('REFRESH_TOKEN_REUSED');
      expect(await auditTypes(session.sessionId)).toEqual(
        expect.arrayContaining(['session.revoked', 'refresh.reuse_detected']),
      );
      expect(await auditTypes(session.sessionId)).not.toContain('session.refreshed');
    });
  });

  describe('POST /api/auth/logout', () => {
    it('should revoke the session, clear both cookies and answer 204', async () => {
      const session = await startSession(sut, await createUser(sut));
      const browser = browserFor(session);
      const response = await browser.post('/api/auth/logout');
      expect(response.status).toBe(204);
      const cleared = response.headers.getSetCookie();
      expect(cleared.find((line) => line.startsWith('sa_access='))).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
      expect(cleared.find((line) => line.startsWith('sa_refresh='))).toMatch(/Path=\/api\/auth/);
      expect(browser.jar.size).toBe(0);
      expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
      const refresh = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(refresh.body.code).toBe('REFRESH_TOKEN_INVALID');
    });

    it('should refuse a cookie-authenticated logout from a foreign origin (CSRF) with FORBIDDEN', async () => {
      const session = await startSession(sut, await createUser(sut));
      const browser = browserFor(session);
      const foreign = await browser.post('/api/auth/logout', undefined, {
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toMatchObject({ code: 'FORBIDDEN', error: CROSS_SITE_REFUSED });
      const byReferer = await sut.http.fork().post('/api/auth/logout', undefined, {
        headers: { cookie: `sa_access=${session.cookies.sa_access.value}`, referer: 'https://evil.example/page' },
      });
      expect(byReferer.status).toBe(403);
      const noOrigin = await sut.http.fork().post('/api/auth/logout', undefined, {
        headers: { cookie: `sa_access=${session.cookies.sa_access.value}` },
      });
      expect(noOrigin.status).toBe(403);
      expect(noOrigin.body.error).toBe(CROSS_SITE_REFUSED);
      expect((await browser.get('/api/auth/me')).status).toBe(200);
    });

    it('should accept a cookie-authenticated logout whose Referer is on the allow-list', async () => {
      const session = await startSession(sut, await createUser(sut));
      const response = await sut.http.fork().post('/api/auth/logout', undefined, {
        headers: { cookie: `sa_access=${session.cookies.sa_access.value}`, referer: `${ALLOWED_ORIGIN}/account` },
      });
      expect(response.status).toBe(204);
    });

    it("should accept a cookie-authenticated logout from the service's own origin, outside CORS_ORIGINS", async () => {
      const session = await startSession(sut, await createUser(sut));
      const ownOrigin = new URL(sut.url).origin;
      const response = await sut.http.fork().post('/api/auth/logout', undefined, {
        headers: { cookie: `sa_access=${session.cookies.sa_access.value}`, origin: ownOrigin },
      });
      expect(response.status).toBe(204);
    });

    it('should exempt bearer requests from the origin check', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const response = await sut.http.post('/api/auth/logout', undefined, {
        token: session.accessToken,
        headers: { origin: 'https://evil.example' },
      });
      expect(response.status).toBe(204);
    });
  });

  describe('session list and remote revocation', () => {
    it('should list live sessions only, marking the current one', async () => {
      const user = await createUser(sut);
      const a = await startSession(sut, user, { client: 'native' });
      const b = await startSession(sut, user, { client: 'native', userAgent: 'SecureAuthApp/2.0 (iOS 17)' });
      const c = await startSession(sut, user, { client: 'native' });
      await sut.app.get(SessionRevoker).revoke({ tenantId: user.tenantId, id: c.sessionId }, 'test');
      const list = await sut.http.get('/api/auth/sessions', { token: a.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.map((entry: { id: string }) => entry.id).sort()).toEqual([a.sessionId, b.sessionId].sort());
      const current = list.body.find((entry: { id: string }) => entry.id === a.sessionId);
      expect(current).toMatchObject({ current: true, ip: '127.0.0.1', aal: 1 });
      expect(current.device).toMatchObject({ name: 'Chrome on macOS' });
      expect(list.body.find((entry: { id: string }) => entry.id === b.sessionId)).toMatchObject({
        current: false,
        userAgent: 'SecureAuthApp/2.0 (iOS 17)',
      });
    });

    it('should revoke one of the caller’s sessions at once', async () => {
      const user = await createUser(sut);
      const a = await startSession(sut, user, { client: 'native' });
      const b = await startSession(sut, user, { client: 'native' });
      const response = await sut.http.delete(`/api/auth/sessions/${b.sessionId}`, { token: a.accessToken });
      expect(response.status).toBe(204);
      expect((await sut.http.get('/api/auth/me', { token: b.accessToken })).status).toBe(401);
      expect((await sut.http.get('/api/auth/me', { token: a.accessToken })).status).toBe(200);
    });

    it('should not revoke a session of another user (NOT_FOUND)', async () => {
      const mine = await startSession(sut, await createUser(sut), { client: 'native' });
      const theirs = await startSession(sut, await createUser(sut), { client: 'native' });
      const response = await sut.http.delete(`/api/auth/sessions/${theirs.sessionId}`, { token: mine.accessToken });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
      expect((await sut.http.get('/api/auth/me', { token: theirs.accessToken })).status).toBe(200);
    });

    it.each(['not-a-uuid', "1' or '1'='1", randomUUID()])('should answer NOT_FOUND for session id %s', async (id) => {
      const mine = await startSession(sut, await createUser(sut), { client: 'native' });
      const response = await sut.http.delete(`/api/auth/sessions/${encodeURIComponent(id)}`, {
        token: mine.accessToken,
      });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });

    it('should revoke every other session and keep the current one', async () => {
      const user = await createUser(sut);
      const a = await startSession(sut, user, { client: 'native' });
      const b = await startSession(sut, user, { client: 'native' });
      const c = await startSession(sut, user, { client: 'native' });
      const response = await sut.http.delete('/api/auth/sessions', { token: a.accessToken });
      expect(response.status).toBe(204);
      expect((await sut.http.get('/api/auth/me', { token: a.accessToken })).status).toBe(200);
      expect((await sut.http.get('/api/auth/me', { token: b.accessToken })).status).toBe(401);
      expect((await sut.http.get('/api/auth/me', { token: c.accessToken })).status).toBe(401);
      expect(await auditTypes(b.sessionId)).toContain('session.revoked');
    });

    it('should refuse a token for another tenant than X-Tenant-Id', async () => {
      await sut.app.get(TenantsService).create('acme', 'Acme');
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const response = await sut.http.get('/api/auth/me', {
        token: session.accessToken,
        headers: { 'x-tenant-id': 'acme' },
      });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    });

    it('should revoke sessions through the revoke-sessions CLI command', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user, { client: 'native' });
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const code = await COMMANDS['revoke-sessions'].run({ email: user.email! }, [], async () => sut.app);
      log.mockRestore();
      expect(code).toBe(0);
      expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
    });
  });

  describe('lifetimes and live roles', () => {
    it('should use the tenant’s token and session lifetimes when it sets them', async () => {
      const tenants = sut.app.get(TenantsService);
      await tenants.create('short-lived', 'Short lived');
      await tenants.updateSettings('short-lived', { accessTokenTtl: 120, refreshTokenTtl: 3600, sessionIdleTtl: 600 });
      const user = await createUser(sut, { tenantId: 'short-lived' });
      const session = await startSession(sut, user, { client: 'native' });
      expect(session.body.expiresIn).toBe(120);
      const payload = JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString());
      expect(payload.exp - payload.iat).toBe(120);
      expect(payload).toMatchObject({ tid: 'short-lived', sid: session.sessionId, sub: user.id, aal: 1, amr: ['pwd'] });
      const row = await em().findOneOrFail(Session, { id: session.sessionId });
      expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(3_600_000);
      expect(row.idleExpiresAt.getTime() - row.createdAt.getTime()).toBe(600_000);
    });

    it('should apply a demotion to live sessions on the next request', async () => {
      const user = await createUser(sut, { roles: ['user', 'admin'] });
      const session = await startSession(sut, user, { client: 'native' });
      await sut.app.get(LiveSessionPublisher).updateRoles(user.tenantId, user.id, ['user']);
      const verifier = sut.app.get(AccessTokenVerifier);
      const request = {
        method: 'GET',
        headers: { authorization: `Bearer ${session.accessToken}` },
        tenantId: 'default',
      } as unknown as FastifyRequest;
      expect((await verifier.authenticate(request)).roles).toEqual(['user']);
    });
  });

  describe('cookies in production mode', () => {
    it('should mark both cookies Secure unless COOKIE_SECURE=false', async () => {
      const secure = await startTestApp({ COOKIE_SECURE: 'true' }, sut.resources);
      try {
        const session = await startSession(secure, await createUser(secure));
        const browser = secure.http.fork({ origin: ALLOWED_ORIGIN });
        browser.jar.set('sa_refresh', session.cookies.sa_refresh.value);
        const response = await browser.post('/api/auth/refresh');
        expect(response.status).toBe(200);
        for (const line of response.headers.getSetCookie()) expect(line).toMatch(/; Secure/i);
      } finally {
        await secure.close();
      }
    });
  });

  describe('access token expiry', () => {
    it('should answer TOKEN_EXPIRED to a correctly signed token past its exp', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user, { client: 'native' });
      const key = await sut.app.get(SigningKeysService).activeKey();
      const now = Math.floor(Date.now() / 1000);
      const token = signAccessToken(
        {
          iss: 'secureauth',
          aud: 'secureauth',
          sub: user.id,
          sid: session.sessionId,
          tid: 'default',
          roles: ['user'],
          amr: ['pwd'],
          aal: 1,
          auth_time: now - 120,
          iat: now - 120,
          exp: now - 60,
        },
        key,
      );
      const response = await sut.http.get('/api/auth/me', { token });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('TOKEN_EXPIRED');
    });
  });

  describe('revocation racing a sign-in or a refresh', () => {
    it('should refuse to resurrect a live record whose revocation landed before the publish', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user, { client: 'native' });
      const store = sut.app.get(LiveSessionStore);
      // What a refresh that committed just before the revocation still holds and is about to write.
      const stale = await store.get(session.sessionId);
      expect(stale).not.toBeNull();
      await sut.app.get(SessionRevoker).revoke({ tenantId: 'default', id: session.sessionId }, 'logout');
      const outcome = await store.publish(stale!, null, Date.now(), performance.now());
      expect(outcome).toBe('revoked');
      expect(await store.get(session.sessionId)).toBeNull();
      expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
    });

    it('should not claim proof when the publish was too slow for the tombstone to still exist', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const store = sut.app.get(LiveSessionStore);
      const live = await store.get(session.sessionId);
      const outcome = await store.publish(live!, null, Date.now(), performance.now() - 120_000);
      expect(outcome).toBe('unsure');
    });
  });

  describe('two instances on one deployment', () => {
    let second: TestApp;

    beforeAll(async () => {
      second = await startTestApp({}, sut.resources);
    });
    afterAll(() => second.close());

    it('should see a revocation made by the other instance on the very next request', async () => {
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      expect((await second.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
      expect((await sut.http.post('/api/auth/logout', undefined, { token: session.accessToken })).status).toBe(204);
      const after = await second.http.get('/api/auth/me', { token: session.accessToken });
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('UNAUTHORIZED');
    });

    it('should keep tokens signed before rotate-keys valid and publish both keys', async () => {
      const user = await createUser(sut);
      const before = await startSession(sut, user, { client: 'native' });
      const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      expect(await COMMANDS['rotate-keys'].run({}, [], async () => sut.app)).toBe(0);
      log.mockRestore();
      const after = await startSession(sut, user, { client: 'native' });
      expect(kidOf(after.accessToken)).not.toBe(kidOf(before.accessToken));
      // The second instance has not reloaded yet: the unknown kid makes it look the key up.
      expect((await second.http.get('/api/auth/me', { token: after.accessToken })).status).toBe(200);
      expect((await second.http.get('/api/auth/me', { token: before.accessToken })).status).toBe(200);
      const jwks = await sut.http.get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      const kids = jwks.body.keys.map((key: { kid: string }) => key.kid);
      expect(kids).toEqual(expect.arrayContaining([kidOf(before.accessToken), kidOf(after.accessToken)]));
      for (const key of jwks.body.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
        expect(key.d).toBeUndefined();
      }
      expect(await em().count(AuditEvent, { type: 'signing_key.rotated' })).toBeGreaterThanOrEqual(1);
    });

    it('should stop trusting and publishing a key retired longer than a token lifetime ago', async () => {
      const keys = sut.app.get(SigningKeysService);
      const session = await startSession(sut, await createUser(sut), { client: 'native' });
      const { kid } = await keys.activeKey();
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      await COMMANDS['rotate-keys'].run({}, [], async () => sut.app);
      log.mockRestore();
      await em().nativeUpdate(SigningKey, { kid }, { retiredAt: new Date(Date.now() - 86_400_000) });
      await keys.reload();
      const jwks = await sut.http.get('/.well-known/jwks.json');
      expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).not.toContain(kid);
      const response = await sut.http.get('/api/auth/me', { token: session.accessToken });
      expect(response.status).toBe(401);
    });
  });
});
