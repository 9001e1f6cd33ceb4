import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import type { AuditInput } from '../../src/modules/audit/audit.service';
import { DomainEvents } from '../../src/modules/audit/domain-events';
import { Device } from '../../src/modules/devices/device.entity';
import { Session } from '../../src/modules/sessions/session.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession, type StartedSession } from './sessions-support';

const MAX_SESSIONS = 5;
const MAX_DEVICES = 3;

/** Sessions and devices per user are capped; the least recently used go first. */
describe('session and device caps (MAX_SESSIONS_PER_USER, MAX_DEVICES_PER_USER)', () => {
  let sut: TestApp;
  const heardRevoked: AuditInput[] = [];

  beforeAll(async () => {
    sut = await startTestApp({
      MAX_SESSIONS_PER_USER: String(MAX_SESSIONS),
      MAX_DEVICES_PER_USER: String(MAX_DEVICES),
    });
    sut.app.get(DomainEvents).on('session.revoked', ({ event }) => void heardRevoked.push(event));
  });
  afterAll(() => sut.close());

  const em = () => sut.app.get(EntityManager).fork();
  const device = { id: randomUUID(), name: 'Laptop' };
  const liveCount = (userId: string) => em().count(Session, { userId, revokedAt: null });
  const expectDead = async (session: StartedSession) => {
    expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
    const refresh = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect([refresh.status, refresh.body.code]).toEqual([401, 'REFRESH_TOKEN_INVALID']);
  };
  const expectAlive = async (session: StartedSession) => {
    expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
  };

  it('should keep MAX_SESSIONS_PER_USER live sessions and revoke the three oldest after cap+3 sign-ins', async () => {
    const user = await createUser(sut);
    const sessions: StartedSession[] = [];
    for (let i = 0; i < MAX_SESSIONS + 3; i++) {
      sessions.push(await startSession(sut, user, { client: 'native', device }));
    }
    const oldest = sessions.slice(0, 3);
    const newest = sessions.slice(3);
    for (const session of oldest) await expectDead(session);
    for (const session of newest) await expectAlive(session);
    expect(await liveCount(user.id)).toBe(MAX_SESSIONS);

    const list = await sut.http.get('/api/auth/sessions', { token: newest[0].accessToken });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((entry: { id: string }) => entry.id).sort()).toEqual(
      newest.map((session) => session.sessionId).sort(),
    );
    for (const session of oldest) {
      const revoked = await em().findOneOrFail(AuditEvent, { sessionId: session.sessionId, type: 'session.revoked' });
      expect(revoked).toMatchObject({ outcome: 'success', subjectId: user.id, data: { reason: 'session_limit' } });
    }
    // The revocations are written by one statement, and still reach the domain events' listeners.
    expect(
      heardRevoked
        .filter((event) => event.subjectId === user.id)
        .map((event) => event.sessionId)
        .sort(),
    ).toEqual(oldest.map((session) => session.sessionId).sort());
  });

  it('should revoke the least recently used session, not the oldest one', async () => {
    const user = await createUser(sut);
    const sessions: StartedSession[] = [];
    for (let i = 0; i < MAX_SESSIONS; i++) sessions.push(await startSession(sut, user, { client: 'native', device }));
    // The first session is used (refreshed): the second is now the least recently used.
    const refreshed = await sut.http.post('/api/auth/refresh', { refreshToken: sessions[0].refreshToken });
    expect(refreshed.status).toBe(200);
    await startSession(sut, user, { client: 'native', device });
    expect((await sut.http.get('/api/auth/me', { token: refreshed.body.accessToken })).status).toBe(200);
    await expectDead(sessions[1]);
    expect(await liveCount(user.id)).toBe(MAX_SESSIONS);
  });

  describe('under a burst of concurrent sign-ins', () => {
    /** Many devices allowed: what stops the burst here is the session cap alone. */
    let manyDevices: TestApp;

    beforeAll(async () => {
      manyDevices = await startTestApp(
        { MAX_SESSIONS_PER_USER: String(MAX_SESSIONS), MAX_DEVICES_PER_USER: '100' },
        sut.resources,
      );
    });
    afterAll(() => manyDevices.close());

    // Each from its own new device: one device would make them wait for each other on its row.
    const burstOf = (app: TestApp, user: Awaited<ReturnType<typeof createUser>>) =>
      Promise.all(
        Array.from({ length: 20 }, () => startSession(app, user, { client: 'native', device: { id: randomUUID() } })),
      );

    it('should not exceed MAX_SESSIONS_PER_USER', async () => {
      const user = await createUser(manyDevices);
      const burst = await burstOf(manyDevices, user);
      expect(await liveCount(user.id)).toBe(MAX_SESSIONS);
      const alive = (
        await Promise.all(
          burst.map(async (session) =>
            (await sut.http.get('/api/auth/me', { token: session.accessToken })).status === 200 ? session : null,
          ),
        )
      ).filter((session) => session !== null);
      expect(alive).toHaveLength(MAX_SESSIONS);
      const list = await sut.http.get('/api/auth/sessions', { token: alive[0].accessToken });
      expect(list.body).toHaveLength(MAX_SESSIONS);
      expect(await em().count(AuditEvent, { subjectId: user.id, type: 'session.revoked' })).toBe(20 - MAX_SESSIONS);
    });

    it('should not exceed MAX_DEVICES_PER_USER', async () => {
      const user = await createUser(sut);
      await burstOf(sut, user);
      expect(await em().count(Device, { userId: user.id })).toBe(MAX_DEVICES);
      expect(await em().count(AuditEvent, { subjectId: user.id, type: 'device.removed' })).toBe(20 - MAX_DEVICES);
      // One session per device, and the sessions of forgotten devices ended with them.
      expect(await liveCount(user.id)).toBe(MAX_DEVICES);
    });
  });

  it('should not touch another user’s sessions when one user reaches the cap', async () => {
    const bystander = await createUser(sut);
    const theirs = await startSession(sut, bystander, { client: 'native', device });
    const user = await createUser(sut);
    for (let i = 0; i < MAX_SESSIONS + 2; i++) await startSession(sut, user, { client: 'native', device });
    await expectAlive(theirs);
    expect(await liveCount(bystander.id)).toBe(1);
  });

  it('should forget the least recently seen devices beyond MAX_DEVICES_PER_USER, with their sessions', async () => {
    const user = await createUser(sut);
    const devices = Array.from({ length: MAX_DEVICES + 2 }, (_, i) => ({ id: randomUUID(), name: `Phone ${i}` }));
    const sessions: StartedSession[] = [];
    for (const each of devices) sessions.push(await startSession(sut, user, { client: 'native', device: each }));
    const list = await sut.http.get('/api/devices', { token: sessions.at(-1)!.accessToken });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((entry: { name: string }) => entry.name).sort()).toEqual(['Phone 2', 'Phone 3', 'Phone 4']);
    expect(await em().count(Device, { userId: user.id })).toBe(MAX_DEVICES);
    for (const session of sessions.slice(0, 2)) await expectDead(session);
    for (const session of sessions.slice(2)) await expectAlive(session);
    const removed = await em().find(AuditEvent, { subjectId: user.id, type: 'device.removed' });
    expect(removed.map((event) => event.data)).toEqual([
      expect.objectContaining({ reason: 'device_limit' }),
      expect.objectContaining({ reason: 'device_limit' }),
    ]);
    const revoked = await em().find(AuditEvent, { sessionId: sessions[0].sessionId, type: 'session.revoked' });
    expect(revoked.map((event) => event.data)).toEqual([{ reason: 'device_limit' }]);
  });

  it('should keep a known device seen again instead of forgetting it', async () => {
    const user = await createUser(sut);
    const devices = Array.from({ length: MAX_DEVICES }, (_, i) => ({ id: randomUUID(), name: `Tablet ${i}` }));
    for (const each of devices) await startSession(sut, user, { client: 'native', device: each });
    // Tablet 0 signs in again: Tablet 1 is now the least recently seen.
    await startSession(sut, user, { client: 'native', device: devices[0] });
    const latest = await startSession(sut, user, { client: 'native', device: { id: randomUUID(), name: 'Tablet 3' } });
    const list = await sut.http.get('/api/devices', { token: latest.accessToken });
    expect(list.body.map((entry: { name: string }) => entry.name).sort()).toEqual(['Tablet 0', 'Tablet 2', 'Tablet 3']);
  });
});
