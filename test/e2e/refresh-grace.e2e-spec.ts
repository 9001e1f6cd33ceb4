import { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { RefreshToken } from '../../src/modules/sessions/session.entity';
import { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';
import { TestClock } from '../support/test-clock';

const ALLOWED_ORIGIN = 'http://localhost:3000';
const GRACE_SECONDS = 10;

/**
 * API.md "Abuse protection": a rotated refresh token presented again within
 * REFRESH_REUSE_GRACE_SECONDS answers the same successor (two tabs refreshing at once stay
 * signed in); later, or once the successor was used, it is reuse (the session dies).
 * With REFRESH_REUSE_GRACE_SECONDS=0 (strict): sessions.e2e-spec.ts, POST /api/auth/refresh.
 */
describe('refresh reuse grace window (REFRESH_REUSE_GRACE_SECONDS)', () => {
  let sut: TestApp;
  /** A second instance on the same PostgreSQL and Redis: the grace holds across processes. */
  let second: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) });
    second = await startTestApp({ REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) }, sut.resources);
  });
  afterAll(async () => {
    await second.close();
    await sut.close();
  });
  afterEach(() => [sut, second].forEach((app) => TestClock.of(app).reset()));

  const em = () => sut.app.get(EntityManager).fork();
  const auditTypes = async (sessionId: string) =>
    (await em().find(AuditEvent, { sessionId }, { orderBy: { createdAt: 'asc' } })).map((event) => event.type);
  const refresh = (app: TestApp, refreshToken: string) => app.http.post('/api/auth/refresh', { refreshToken });
  const me = (app: TestApp, token: string) => app.http.get('/api/auth/me', { token });
  /** Moves the instance's injected clock `seconds` ahead, as if that much time had passed. */
  const advanceClock = (app: TestApp, seconds: number) => TestClock.of(app).advance(seconds * 1000);

  it('should keep two tabs signed in: two refreshes at once with one cookie both get the same successor', async () => {
    const session = await startSession(sut, await createUser(sut));
    const tab = () => {
      const browser = sut.http.fork({ origin: ALLOWED_ORIGIN });
      browser.jar.set('sa_refresh', session.cookies.sa_refresh.value);
      return browser;
    };
    const [first, other] = [tab(), tab()];
    const answers = await Promise.all([first.post('/api/auth/refresh'), other.post('/api/auth/refresh')]);
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual([
      [200, undefined],
      [200, undefined],
    ]);
    expect(answers.map((answer) => answer.body.sessionId)).toEqual([session.sessionId, session.sessionId]);
    const successor = first.jar.get('sa_refresh');
    expect(successor).toBeDefined();
    expect(successor).not.toBe(session.cookies.sa_refresh.value);
    expect(other.jar.get('sa_refresh')).toBe(successor);
    expect((await first.get('/api/auth/me')).status).toBe(200);
    expect((await other.get('/api/auth/me')).status).toBe(200);
    // The successor is a live refresh token: it rotates once more.
    const next = await first.post('/api/auth/refresh');
    expect(next.status).toBe(200);
    expect(first.jar.get('sa_refresh')).not.toBe(successor);
    expect(await auditTypes(session.sessionId)).not.toContain('refresh.reuse_detected');
  });

  it('should answer 20 concurrent refreshes with one token, split over two processes, with one successor', async () => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refresh(i % 2 === 0 ? sut : second, session.refreshToken)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const successors = new Set(answers.map((answer) => answer.body.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    expect(successor).not.toBe(session.refreshToken);
    expect(new Set(answers.map((answer) => answer.body.sessionId))).toEqual(new Set([session.sessionId]));
    // One rotation happened; the others were answered its result.
    expect(await em().count(RefreshToken, { sessionId: session.sessionId })).toBe(1);
    for (const answer of [answers[0], answers[19]]) {
      expect((await me(second, answer.body.accessToken)).status).toBe(200);
    }
    const next = await refresh(second, successor);
    expect(next.status).toBe(200);
    expect((await me(sut, next.body.accessToken)).status).toBe(200);
    const events = await auditTypes(session.sessionId);
    expect(events).not.toContain('refresh.reuse_detected');
    expect(events.filter((type) => type === 'session.refreshed')).toHaveLength(21);
  });

  it('should treat a replay after the grace window as reuse: REFRESH_TOKEN_REUSED, session revoked, audited', async () => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    const rotated = await refresh(sut, session.refreshToken);
    expect(rotated.status).toBe(200);
    advanceClock(sut, GRACE_SECONDS + 1);
    const replay = await refresh(sut, session.refreshToken);
    expect([replay.status, replay.body.code]).toEqual([401, 'REFRESH_TOKEN_REUSED']);
    TestClock.of(sut).reset();
    expect((await refresh(sut, rotated.body.refreshToken)).body.code).toBe('REFRESH_TOKEN_INVALID');
    expect((await me(sut, rotated.body.accessToken)).status).toBe(401);
    expect(await auditTypes(session.sessionId)).toEqual(
      expect.arrayContaining(['session.revoked', 'refresh.reuse_detected']),
    );
  });

  it('should treat a replay within the grace window as reuse once the successor was used', async () => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    const rotated = await refresh(sut, session.refreshToken);
    const used = await refresh(second, rotated.body.refreshToken);
    expect(used.status).toBe(200);
    const replay = await refresh(sut, session.refreshToken);
    expect([replay.status, replay.body.code]).toEqual([401, 'REFRESH_TOKEN_REUSED']);
    expect((await refresh(sut, used.body.refreshToken)).body.code).toBe('REFRESH_TOKEN_INVALID');
    expect((await me(second, used.body.accessToken)).status).toBe(401);
    expect(await auditTypes(session.sessionId)).toContain('refresh.reuse_detected');
  });

  it('should not answer a successor for a session signed out meanwhile', async () => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    const rotated = await refresh(sut, session.refreshToken);
    const logout = await sut.http.post('/api/auth/logout', undefined, { token: rotated.body.accessToken });
    expect(logout.status).toBe(204);
    const replay = await refresh(second, session.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.refreshToken).toBeUndefined();
    expect((await me(sut, session.accessToken)).status).toBe(401);
  });

  it('should not answer a successor to a user disabled meanwhile', async () => {
    const user = await createUser(sut);
    const session = await startSession(sut, user, { client: 'native' });
    const rotated = await refresh(sut, session.refreshToken);
    expect(rotated.status).toBe(200);
    await em().nativeUpdate(User, { id: user.id }, { status: 'disabled' });
    const replay = await refresh(sut, session.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.refreshToken).toBeUndefined();
  });

  it('should keep the successor out of the database in plain text', async () => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    const rotated = await refresh(sut, session.refreshToken);
    const successorSecret = rotated.body.refreshToken.split('.')[1];
    const connection = em().getConnection();
    const rows = [
      ...(await connection.execute(`select * from "session" where "id" = ?`, [session.sessionId])),
      ...(await connection.execute(`select * from "refresh_token" where "session_id" = ?`, [session.sessionId])),
    ];
    // Byte columns as their raw bytes (JSON.stringify would turn a Buffer into a list of numbers first).
    const dump = rows
      .flatMap((row: Record<string, unknown>) => Object.values(row))
      .map((value) => (Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value)))
      .join('\n');
    expect(rows).toHaveLength(2);
    expect(Buffer.isBuffer(rows[0].sealed_successor)).toBe(true);
    expect(dump).not.toContain(successorSecret);
    expect(dump).not.toContain(Buffer.from(successorSecret, 'base64url').toString('latin1'));
    expect(dump).not.toContain(session.refreshToken.split('.')[1]);
    // Still, a racing replay of the old token gets it: it was sealed, not lost.
    expect((await refresh(second, session.refreshToken)).body.refreshToken).toBe(rotated.body.refreshToken);
  });
});
