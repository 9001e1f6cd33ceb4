import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { Device } from '../../src/modules/devices/device.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

describe('devices: tracking, rename, trust, removal', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(() => sut.close());

  const em = () => sut.app.get(EntityManager).fork();

  it('should record the client device with its own name and count its live sessions', async () => {
    const user = await createUser(sut);
    const device = {
      id: randomUUID(),
      name: "Ada's iPhone",
      platform: 'ios',
      model: 'iPhone15,2',
      appVersion: '2.4.1',
    };
    const a = await startSession(sut, user, { client: 'native', device, userAgent: 'SecureAuthApp/2.4.1' });
    await startSession(sut, user, { client: 'native', device, userAgent: 'SecureAuthApp/2.4.1' });
    const list = await sut.http.get('/api/devices', { token: a.accessToken });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({
      name: "Ada's iPhone",
      platform: 'ios',
      model: 'iPhone15,2',
      userAgent: 'SecureAuthApp/2.4.1',
      lastIp: '127.0.0.1',
      trusted: false,
      activeSessions: 2,
    });
    const newEvents = await em().count(AuditEvent, { type: 'device.new', subjectId: user.id });
    expect(newEvents).toBe(1);
  });

  it('should name a browser without a device id from its User-Agent and fingerprint it', async () => {
    const user = await createUser(sut);
    const a = await startSession(sut, user);
    await startSession(sut, user);
    const firefox = await startSession(sut, user, {
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
    });
    const list = await sut.http.get('/api/devices', { token: a.accessToken });
    const names = list.body.map((entry: { name: string }) => entry.name).sort();
    expect(names).toEqual(['Chrome on macOS', 'Firefox on Windows']);
    expect(list.body.find((entry: { name: string }) => entry.name === 'Chrome on macOS').activeSessions).toBe(2);
    expect(firefox.sessionId).toBeDefined();
  });

  it('should give one record when the same new device signs in twice at once', async () => {
    const user = await createUser(sut);
    const device = { id: randomUUID() };
    const [a] = await Promise.all(
      Array.from({ length: 5 }, () => startSession(sut, user, { client: 'native', device })),
    );
    const list = await sut.http.get('/api/devices', { token: a.accessToken });
    expect(list.body).toHaveLength(1);
    expect(list.body[0].activeSessions).toBe(5);
    expect(await em().count(AuditEvent, { type: 'device.new', subjectId: user.id })).toBe(1);
  });

  it('should rename a device and mark it trusted', async () => {
    const user = await createUser(sut);
    const session = await startSession(sut, user, { client: 'native' });
    const [device] = (await sut.http.get('/api/devices', { token: session.accessToken })).body;
    const response = await sut.http.patch(
      `/api/devices/${device.id}`,
      { name: 'Work laptop', trusted: true },
      { token: session.accessToken },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: device.id, name: 'Work laptop', trusted: true, activeSessions: 1 });
    // A later sign-in from the same browser keeps the user's chosen name.
    await startSession(sut, user, { client: 'native' });
    const again = await sut.http.get('/api/devices', { token: session.accessToken });
    expect(again.body[0]).toMatchObject({ name: 'Work laptop', trusted: true });
  });

  it.each([
    ['an unknown field', { name: 'x', owner: 'me' }],
    ['an empty name', { name: '' }],
    ['a non-boolean trusted', { trusted: 'yes' }],
  ])('should refuse a PATCH with %s (VALIDATION_FAILED)', async (_name, body) => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    const [device] = (await sut.http.get('/api/devices', { token: session.accessToken })).body;
    const response = await sut.http.patch(`/api/devices/${device.id}`, body, { token: session.accessToken });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('should not let a user see, rename or remove another user’s device (NOT_FOUND)', async () => {
    const mine = await startSession(sut, await createUser(sut), { client: 'native' });
    const theirs = await startSession(sut, await createUser(sut), { client: 'native' });
    const [device] = (await sut.http.get('/api/devices', { token: theirs.accessToken })).body;
    const list = await sut.http.get('/api/devices', { token: mine.accessToken });
    expect(list.body.map((entry: { id: string }) => entry.id)).not.toContain(device.id);
    const patch = await sut.http.patch(`/api/devices/${device.id}`, { name: 'mine now' }, { token: mine.accessToken });
    expect(patch.status).toBe(404);
    expect(patch.body.code).toBe('NOT_FOUND');
    const removal = await sut.http.delete(`/api/devices/${device.id}`, { token: mine.accessToken });
    expect(removal.status).toBe(404);
    expect((await sut.http.get('/api/auth/me', { token: theirs.accessToken })).status).toBe(200);
    expect(await em().count(Device, { id: device.id })).toBe(1);
  });

  it.each(['not-a-uuid', randomUUID()])('should answer NOT_FOUND for device id %s', async (id) => {
    const session = await startSession(sut, await createUser(sut), { client: 'native' });
    expect((await sut.http.delete(`/api/devices/${id}`, { token: session.accessToken })).status).toBe(404);
    expect((await sut.http.patch(`/api/devices/${id}`, { trusted: true }, { token: session.accessToken })).status).toBe(
      404,
    );
  });

  it('should remove a device and revoke every session started from it', async () => {
    const user = await createUser(sut);
    const phone = { id: randomUUID(), name: 'Phone' };
    const onPhone = await startSession(sut, user, { client: 'native', device: phone });
    const alsoOnPhone = await startSession(sut, user, { client: 'native', device: phone });
    const onLaptop = await startSession(sut, user, { client: 'native', device: { id: randomUUID(), name: 'Laptop' } });
    const list = (await sut.http.get('/api/devices', { token: onLaptop.accessToken })).body;
    const phoneId = list.find((entry: { name: string }) => entry.name === 'Phone').id;
    const response = await sut.http.delete(`/api/devices/${phoneId}`, { token: onLaptop.accessToken });
    expect(response.status).toBe(204);
    expect((await sut.http.get('/api/auth/me', { token: onPhone.accessToken })).status).toBe(401);
    expect((await sut.http.get('/api/auth/me', { token: alsoOnPhone.accessToken })).status).toBe(401);
    expect((await sut.http.get('/api/auth/me', { token: onLaptop.accessToken })).status).toBe(200);
    const after = (await sut.http.get('/api/devices', { token: onLaptop.accessToken })).body;
    expect(after.map((entry: { name: string }) => entry.name)).toEqual(['Laptop']);
    expect(await em().count(AuditEvent, { type: 'device.removed', deviceId: phoneId })).toBe(1);
  });

  it('should refuse the device routes without a token', async () => {
    expect((await sut.http.fork().get('/api/devices')).body.code).toBe('UNAUTHORIZED');
  });
});
