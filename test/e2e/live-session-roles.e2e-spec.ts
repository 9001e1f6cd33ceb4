import type Redis from 'ioredis';
import type { RedisKey } from 'ioredis';
import { REDIS } from '../../src/common/redis/redis.constants';
import { LiveSessionStore, sessionKey } from '../../src/modules/sessions/live-session.store';
import type { Role } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

describe('LiveSessionStore.updateRoles (e2e)', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await sut?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  it('should not overwrite a record rewritten between its read and its write', async () => {
    const user = await createUser(sut, { roles: ['user', 'admin'] });
    const session = await startSession(sut, user, { client: 'native' });
    const store = sut.app.get(LiveSessionStore);
    const redis = sut.app.get<Redis>(REDIS);
    const refreshed = {
      ...(await store.get(session.sessionId))!,
      lastSeenAt: new Date(Date.now() + 1000).toISOString(),
    };
    const get = redis.get.bind(redis);
    // A refresh publishes right after the role change read the record.
    jest.spyOn(redis, 'get').mockImplementationOnce(async (key: RedisKey) => {
      const read = await get(key);
      await store.publish(refreshed, null, Date.now(), performance.now());
      return read;
    });
    await store.updateRoles([session.sessionId], ['user']);
    expect(await store.get(session.sessionId)).toEqual({ ...refreshed, roles: ['user'] });
  });

  it('should leave every record whole and with one of the role sets when changes race', async () => {
    const user = await createUser(sut, { roles: ['user'] });
    const sessions = await Promise.all([1, 2, 3].map(() => startSession(sut, user, { client: 'native' })));
    const ids = sessions.map((entry) => entry.sessionId);
    const store = sut.app.get(LiveSessionStore);
    const before = await Promise.all(ids.map((id) => store.get(id)));
    const sets: Role[][] = [['user'], ['user', 'admin'], ['user', 'support', 'auditor'], ['user', 'admin']];
    await Promise.all(sets.map((roles) => store.updateRoles(ids, roles)));
    const after = await Promise.all(ids.map((id) => store.get(id)));
    const finals = after.map((record) => JSON.stringify(record!.roles));
    for (const [index, record] of after.entries()) {
      expect({ ...record!, roles: [] }).toEqual({ ...before[index]!, roles: [] });
      expect(sets.map((roles) => JSON.stringify(roles))).toContain(finals[index]);
    }
    const ttl = await sut.app.get<Redis>(REDIS).pttl(sessionKey(ids[0]));
    expect(ttl).toBeGreaterThan(0);
  });

  it('should not resurrect a record revoked while its roles change', async () => {
    const user = await createUser(sut, { roles: ['user', 'admin'] });
    const session = await startSession(sut, user, { client: 'native' });
    const store = sut.app.get(LiveSessionStore);
    const redis = sut.app.get<Redis>(REDIS);
    const get = redis.get.bind(redis);
    jest.spyOn(redis, 'get').mockImplementationOnce(async (key: RedisKey) => {
      const read = await get(key);
      await store.remove([session.sessionId]);
      return read;
    });
    await store.updateRoles([session.sessionId], ['user']);
    expect(await store.get(session.sessionId)).toBeNull();
  });
});
