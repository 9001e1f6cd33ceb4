import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  createSuppression,
  createTenant,
  createUser,
  signedInAs,
  startSession,
  tenantHeader,
  unknownId,
  type SignedIn,
} from './admin-support';

describe('admin API: users, audit, delivery', () => {
  let sut: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    sut = await startTestApp();
    admin = await signedInAs(sut, ['admin']);
  });
  afterAll(() => sut.close());

  const get = (path: string, caller: SignedIn = admin) =>
    sut.http.get(path, { token: caller.token, headers: tenantHeader(caller.tenantId) });

  describe('GET /api/admin/users', () => {
    it('should search by email, phone and name prefix, case-insensitively', async () => {
      const tag = `zq${Date.now().toString(36)}`;
      const byEmail = await createUser(sut, { email: `${tag}.mail@example.com` });
      const byName = await createUser(sut, { email: `other-${tag}@example.com`, lastName: `${tag.toUpperCase()}son` });
      const phone = `+1415${String(Date.now()).slice(-7)}`;
      const byPhone = await createUser(sut, { email: null, phone });

      const found = await get(`/api/admin/users?query=${tag.toUpperCase()}`);
      expect(found.status).toBe(200);
      expect(found.body.items.map((user: any) => user.id).sort()).toEqual([byEmail.id, byName.id].sort());
      const phoneHit = await get(`/api/admin/users?query=${encodeURIComponent(phone.slice(0, 9))}`);
      expect(phoneHit.body.items.map((user: any) => user.id)).toContain(byPhone.id);
    });

    it('should treat LIKE wildcards in the query as plain characters', async () => {
      await createUser(sut, { email: `wild-${Date.now()}@example.com` });
      const response = await get('/api/admin/users?query=%25');
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual([]);
    });

    it('should filter by status and role', async () => {
      const restricted = await createUser(sut, { status: 'restricted' });
      const auditor = await createUser(sut, { roles: ['user', 'auditor'] });
      const byStatus = await get('/api/admin/users?status=restricted&limit=100');
      expect(byStatus.body.items.every((user: any) => user.status === 'restricted')).toBe(true);
      expect(byStatus.body.items.map((user: any) => user.id)).toContain(restricted.id);
      const byRole = await get('/api/admin/users?role=auditor&limit=100');
      expect(byRole.body.items.every((user: any) => user.roles.includes('auditor'))).toBe(true);
      expect(byRole.body.items.map((user: any) => user.id)).toContain(auditor.id);
    });

    it('should page newest first with no duplicates and no gaps while users are inserted concurrently', async () => {
      const tenantId = await createTenant(sut);
      const tenantAdmin = await signedInAs(sut, ['admin'], { tenantId });
      const existing: string[] = [tenantAdmin.id];
      for (let i = 0; i < 23; i++) existing.push((await createUser(sut, { tenantId })).id);

      const seen: string[] = [];
      let cursor: string | null = null;
      let inserted = 0;
      do {
        const query: string = `/api/admin/users?limit=5${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await get(query, tenantAdmin);
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((user: any) => user.id));
        cursor = page.body.nextCursor;
        // New sign-ups between pages land before the cursor and must not shift later pages.
        await createUser(sut, { tenantId });
        inserted++;
      } while (cursor);

      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => existing.includes(id)).sort()).toEqual([...existing].sort());
      expect(inserted).toBeGreaterThanOrEqual(5);
    });

    it('should reject limits outside 1..100 and a forged cursor with VALIDATION_FAILED', async () => {
      for (const query of [
        'limit=0',
        'limit=101',
        'limit=abc',
        'cursor=bm90LWEtY3Vyc29y',
        'status=frozen',
        'role=root',
      ]) {
        const response = await get(`/api/admin/users?${query}`);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('GET /api/admin/users/:id', () => {
    it('should show the user with devices and live sessions only', async () => {
      const user = await createUser(sut);
      const live = await startSession(sut, user, { device: { id: 'device-a', name: 'Phone A' } });
      const dead = await startSession(sut, user, { device: { id: 'device-b', name: 'Laptop B' } });
      await sut.http.post('/api/auth/logout', undefined, { token: dead.accessToken });

      const response = await get(`/api/admin/users/${user.id}`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: user.id, email: user.email, roles: ['user'], isPlatformAdmin: false });
      expect(response.body.sessions.map((session: any) => session.id)).toEqual([live.sessionId]);
      expect(response.body.devices.map((device: any) => device.name).sort()).toEqual(['Laptop B', 'Phone A']);
    });

    it('should answer NOT_FOUND for an unknown id and for a malformed id', async () => {
      for (const id of [unknownId(), 'not-a-uuid', '1']) {
        const response = await get(`/api/admin/users/${id}`);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      }
    });
  });

  describe('PATCH /api/admin/users/:id', () => {
    it('should change roles, audit role.changed with the admin as actor and update live sessions', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user);
      const response = await sut.http.patch(
        `/api/admin/users/${user.id}`,
        { roles: ['support', 'user'] },
        { token: admin.token },
      );
      expect(response.status).toBe(200);
      expect(response.body.roles).toEqual(['user', 'support']);
      // The promoted user's live session carries the new roles at once.
      expect((await sut.http.get('/api/admin/users', { token: session.accessToken })).status).toBe(200);

      const audit = await get(`/api/admin/audit?userId=${user.id}&type=role.changed`);
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0]).toMatchObject({
        actorId: admin.id,
        subjectId: user.id,
        outcome: 'success',
        data: { from: ['user'], to: ['user', 'support'], via: 'admin' },
      });
    });

    it('should audit user.restricted on restriction and user.updated on reactivation', async () => {
      const user = await createUser(sut);
      await sut.http.patch(`/api/admin/users/${user.id}`, { status: 'restricted' }, { token: admin.token });
      await sut.http.patch(`/api/admin/users/${user.id}`, { status: 'active' }, { token: admin.token });
      const audit = await get(`/api/admin/audit?userId=${user.id}`);
      const types = audit.body.items.map((event: any) => event.type);
      expect(types.sort()).toEqual(['user.restricted', 'user.updated']);
      expect(audit.body.items.every((event: any) => event.actorId === admin.id)).toBe(true);
    });

    it('should reject unknown fields, unknown roles, empty roles and unknown statuses', async () => {
      const user = await createUser(sut);
      for (const body of [
        { roles: ['root'] },
        { roles: [] },
        { status: 'banned' },
        { email: 'x@example.com' },
        { roles: 'admin' },
      ]) {
        const response = await sut.http.patch(`/api/admin/users/${user.id}`, body, { token: admin.token });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
      }
      const unchanged = await sut.app.get(EntityManager).fork().findOneOrFail(User, { id: user.id });
      expect(unchanged.roles).toEqual(['user']);
    });
  });

  describe('DELETE /api/admin/users/:id/sessions', () => {
    it('should revoke every session of the user and audit admin.sessions_revoked', async () => {
      const user = await createUser(sut);
      const sessions = [await startSession(sut, user), await startSession(sut, user)];
      const response = await sut.http.delete(`/api/admin/users/${user.id}/sessions`, { token: admin.token });
      expect(response.status).toBe(204);
      for (const session of sessions) {
        expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
      }
      const audit = await get(`/api/admin/audit?userId=${user.id}&type=admin.sessions_revoked`);
      expect(audit.body.items[0]).toMatchObject({ actorId: admin.id, data: { revoked: 2 } });
    });

    it('should answer NOT_FOUND for an unknown user', async () => {
      const response = await sut.http.delete(`/api/admin/users/${unknownId()}/sessions`, { token: admin.token });
      expect(response.status).toBe(404);
    });
  });

  describe('platform admins and the last admin of a tenant', () => {
    const adminsOf = async (tenantId: string) =>
      (await sut.app.get(EntityManager).fork().find(User, { tenantId, status: 'active' })).filter((user) =>
        user.roles.includes('admin'),
      );

    it("should not let a tenant's admin change a platform admin's roles or status, or revoke their sessions", async () => {
      const tenantId = await createTenant(sut);
      const tenantAdmin = await signedInAs(sut, ['user', 'admin'], { tenantId });
      const platform = await signedInAs(sut, ['user', 'admin'], { tenantId, isPlatformAdmin: true });
      const asTenantAdmin = { token: tenantAdmin.token, headers: tenantHeader(tenantId) };
      for (const body of [{ roles: ['user'] }, { roles: ['user', 'admin', 'support'] }, { status: 'restricted' }]) {
        const response = await sut.http.patch(`/api/admin/users/${platform.id}`, body, asTenantAdmin);
        expect({ body, status: response.status, code: response.body.code }).toEqual({
          body,
          status: 403,
          code: 'FORBIDDEN',
        });
      }
      const revoke = await sut.http.delete(`/api/admin/users/${platform.id}/sessions`, asTenantAdmin);
      expect(revoke.status).toBe(403);
      expect(revoke.body.code).toBe('FORBIDDEN');
      const row = await sut.app.get(EntityManager).fork().findOneOrFail(User, { id: platform.id });
      expect(row).toMatchObject({ roles: ['user', 'admin'], status: 'active', isPlatformAdmin: true });
      const me = await sut.http.get('/api/auth/me', { token: platform.token, headers: tenantHeader(tenantId) });
      expect(me.status).toBe(200);
    });

    it('should let a platform admin change another platform admin', async () => {
      const tenantId = await createTenant(sut);
      const platform = await signedInAs(sut, ['user', 'admin'], { tenantId, isPlatformAdmin: true });
      const other = await signedInAs(sut, ['user', 'admin'], { tenantId, isPlatformAdmin: true });
      const response = await sut.http.patch(
        `/api/admin/users/${other.id}`,
        { roles: ['user', 'admin', 'auditor'] },
        { token: platform.token, headers: tenantHeader(tenantId) },
      );
      expect(response.status).toBe(200);
      expect(response.body.roles).toEqual(['user', 'auditor', 'admin']);
    });

    it('should not let the last active admin of a tenant demote, restrict or disable themselves (409 CONFLICT)', async () => {
      const tenantId = await createTenant(sut);
      const only = await signedInAs(sut, ['user', 'admin'], { tenantId });
      const asOnly = { token: only.token, headers: tenantHeader(tenantId) };
      for (const body of [
        { roles: ['user'] },
        { roles: ['user', 'auditor'] },
        { status: 'restricted' },
        { status: 'disabled' },
      ]) {
        const response = await sut.http.patch(`/api/admin/users/${only.id}`, body, asOnly);
        expect({ body, status: response.status, code: response.body.code }).toEqual({
          body,
          status: 409,
          code: 'CONFLICT',
        });
      }
      expect((await adminsOf(tenantId)).map((user) => user.id)).toEqual([only.id]);
      // With a second admin in place, the first may step down.
      await signedInAs(sut, ['user', 'admin'], { tenantId });
      expect((await sut.http.patch(`/api/admin/users/${only.id}`, { roles: ['user'] }, asOnly)).status).toBe(200);
    });

    it('should leave one admin when the last two demote each other at the same time', async () => {
      const tenantId = await createTenant(sut);
      const first = await signedInAs(sut, ['user', 'admin'], { tenantId });
      const second = await signedInAs(sut, ['user', 'admin'], { tenantId });
      const demote = (actor: SignedIn, target: SignedIn) =>
        sut.http.patch(
          `/api/admin/users/${target.id}`,
          { roles: ['user'] },
          { token: actor.token, headers: tenantHeader(tenantId) },
        );
      const statuses = (await Promise.all([demote(first, second), demote(second, first)])).map((r) => r.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(await adminsOf(tenantId)).toHaveLength(1);
    });

    it('should let a platform admin remove the last admin of a tenant', async () => {
      const tenantId = await createTenant(sut);
      const only = await signedInAs(sut, ['user', 'admin'], { tenantId });
      const platform = await signedInAs(sut, ['user', 'admin'], { isPlatformAdmin: true });
      const response = await sut.http.patch(
        `/api/admin/users/${only.id}?tenantId=${tenantId}`,
        { status: 'disabled' },
        { token: platform.token },
      );
      expect(response.status).toBe(200);
      expect(await adminsOf(tenantId)).toEqual([]);
    });
  });

  describe('hostile cursors and dates', () => {
    const cursorOf = (at: string, id: string) => Buffer.from(`${at}|${id}`).toString('base64url');
    const hostileCursors = [
      cursorOf('-200000-01-01T00:00:00.000Z', randomUUID()),
      cursorOf('+275760-09-13T00:00:00.000Z', randomUUID()),
      cursorOf('2026-01-01T00:00:00.000Z', '-'.repeat(36)),
      cursorOf('2026-01-01T00:00:00.000Z', 'f'.repeat(36)),
      cursorOf('0', randomUUID()),
      cursorOf('2026-01-01T00:00:00.000Z', `${randomUUID()}|x`),
    ];

    it('should answer VALIDATION_FAILED, never a 5xx, to every list given a cursor PostgreSQL cannot hold', async () => {
      for (const path of [
        '/api/admin/users',
        '/api/admin/audit',
        '/api/admin/delivery/messages',
        '/api/admin/delivery/suppressions',
        '/api/auth/history',
      ]) {
        for (const cursor of hostileCursors) {
          const response = await get(`${path}?cursor=${cursor}`);
          expect({ path, cursor, status: response.status, code: response.body.code }).toEqual({
            path,
            cursor,
            status: 400,
            code: 'VALIDATION_FAILED',
          });
        }
      }
    });

    it('should answer VALIDATION_FAILED, never a 5xx, to audit from/to outside what PostgreSQL can hold', async () => {
      for (const query of [
        'from=-200000-01-01T00:00:00.000Z',
        'to=%2B275760-09-13T00:00:00.000Z',
        'from=275760-09-13',
        'to=-000001-01-01T00:00:00Z',
        'from=2026-02-31T00:00:00Z',
        'from=1',
        'to=Tue%2C%2001%20Jan%202030',
      ]) {
        const response = await get(`/api/admin/audit?${query}`);
        expect({ query, status: response.status, code: response.body.code }).toEqual({
          query,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    });

    it('should still accept ISO 8601 dates with an offset and the cursors it hands out', async () => {
      const response = await get('/api/admin/audit?from=2020-01-01T00:00:00%2B02:00&to=2999-12-31&limit=1');
      expect(response.status).toBe(200);
      // Every admin read is audited, so there is always a second page.
      expect(typeof response.body.nextCursor).toBe('string');
      expect((await get(`/api/admin/audit?limit=1&cursor=${response.body.nextCursor}`)).status).toBe(200);
    });
  });

  describe('GET /api/admin/audit', () => {
    it('should filter by type, outcome and time window, newest first', async () => {
      const audit = sut.app.get(AuditService);
      const user = await createUser(sut);
      await audit.record({ type: 'login.failed', outcome: 'failure', tenantId: 'default', subjectId: user.id });
      await audit.record({ type: 'login.succeeded', outcome: 'success', tenantId: 'default', subjectId: user.id });
      const all = await get(`/api/admin/audit?userId=${user.id}`);
      expect(all.body.items.map((event: any) => event.type).sort()).toEqual(['login.failed', 'login.succeeded']);
      const times = all.body.items.map((event: any) => Date.parse(event.createdAt));
      expect(times[0]).toBeGreaterThanOrEqual(times[1]);
      const failures = await get(`/api/admin/audit?userId=${user.id}&outcome=failure`);
      expect(failures.body.items.map((event: any) => event.type)).toEqual(['login.failed']);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect((await get(`/api/admin/audit?userId=${user.id}&from=${future}`)).body.items).toEqual([]);
      const past = new Date(Date.now() - 3_600_000).toISOString();
      expect((await get(`/api/admin/audit?userId=${user.id}&from=${past}&to=${future}`)).body.items).toHaveLength(2);
    });

    it('should page with a stable cursor while events are being written', async () => {
      const audit = sut.app.get(AuditService);
      const user = await createUser(sut);
      for (let i = 0; i < 12; i++) {
        await audit.record({ type: 'session.refreshed', outcome: 'success', tenantId: 'default', subjectId: user.id });
      }
      const before = (await get(`/api/admin/audit?userId=${user.id}&limit=100`)).body.items.map((e: any) => e.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await get(`/api/admin/audit?userId=${user.id}&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.items.map((event: any) => event.id));
        cursor = page.body.nextCursor;
        await audit.record({ type: 'session.refreshed', outcome: 'success', tenantId: 'default', subjectId: user.id });
      } while (cursor);
      expect(seen).toEqual(before);
    });

    it('should reject a bad type, outcome or date with VALIDATION_FAILED', async () => {
      for (const query of ['type=nope', 'outcome=maybe', 'from=yesterday', 'userId=123', 'limit=500']) {
        const response = await get(`/api/admin/audit?${query}`);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('should record every admin read as admin.read with the admin as actor', async () => {
      const reader = await signedInAs(sut, ['auditor']);
      await get('/api/admin/users?status=active', reader);
      await get('/api/admin/delivery/messages', reader);
      const events = await get(`/api/admin/audit?type=admin.read&limit=100`);
      const mine = events.body.items.filter((event: any) => event.actorId === reader.id);
      expect(mine.map((event: any) => event.data.operation).sort()).toEqual(['listDeliveryMessages', 'listUsers']);
      const listUsers = mine.find((event: any) => event.data.operation === 'listUsers');
      expect(listUsers.data).toMatchObject({ status: 'active', scope: 'default' });
    });
  });

  describe('delivery', () => {
    it('should list suppressions (masked) and remove one, 204 then 404', async () => {
      const id = await createSuppression(sut);
      const list = await get('/api/admin/delivery/suppressions?limit=100');
      expect(list.status).toBe(200);
      expect(list.body.items.find((item: any) => item.id === id)).toMatchObject({
        channel: 'sms',
        destination: '+1415***0123',
      });
      expect((await sut.http.delete(`/api/admin/delivery/suppressions/${id}`, { token: admin.token })).status).toBe(
        204,
      );
      expect((await sut.http.delete(`/api/admin/delivery/suppressions/${id}`, { token: admin.token })).status).toBe(
        404,
      );
      expect((await sut.http.delete('/api/admin/delivery/suppressions/xyz', { token: admin.token })).status).toBe(404);
    });

    it('should list delivery messages with status and channel filters', async () => {
      const response = await get('/api/admin/delivery/messages?status=failed&channel=sms&limit=10');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ items: expect.any(Array), nextCursor: null });
      expect((await get('/api/admin/delivery/messages?channel=pigeon')).status).toBe(400);
    });
  });

  describe('tenant isolation', () => {
    let tenantA: string;
    let tenantB: string;
    let adminA: SignedIn;
    let userB: User;
    let suppressionB: string;

    beforeAll(async () => {
      tenantA = await createTenant(sut);
      tenantB = await createTenant(sut);
      adminA = await signedInAs(sut, ['admin'], { tenantId: tenantA });
      userB = await createUser(sut, { tenantId: tenantB });
      await startSession(sut, userB);
      suppressionB = await createSuppression(sut, tenantB);
    });

    const asA = () => ({ token: adminA.token, headers: tenantHeader(tenantA) });

    it('should not list users of another tenant', async () => {
      const list = await sut.http.get('/api/admin/users?limit=100', asA());
      expect(list.status).toBe(200);
      expect(list.body.items.every((user: any) => user.tenantId === tenantA)).toBe(true);
      const search = await sut.http.get(`/api/admin/users?query=${encodeURIComponent(userB.email!)}`, asA());
      expect(search.body.items).toEqual([]);
    });

    it('should not show, change or revoke a user of another tenant (NOT_FOUND)', async () => {
      expect((await sut.http.get(`/api/admin/users/${userB.id}`, asA())).status).toBe(404);
      expect((await sut.http.patch(`/api/admin/users/${userB.id}`, { status: 'disabled' }, asA())).status).toBe(404);
      expect((await sut.http.delete(`/api/admin/users/${userB.id}/sessions`, asA())).status).toBe(404);
      const row = await sut.app.get(EntityManager).fork().findOneOrFail(User, { id: userB.id });
      expect(row.status).toBe('active');
    });

    it("should not show another tenant's audit events, even filtered by that tenant's user", async () => {
      const byUser = await sut.http.get(`/api/admin/audit?userId=${userB.id}`, asA());
      expect(byUser.body.items).toEqual([]);
      const all = await sut.http.get('/api/admin/audit?limit=100', asA());
      expect(all.body.items.every((event: any) => event.tenantId === tenantA)).toBe(true);
    });

    it("should not list or remove another tenant's suppressions", async () => {
      const list = await sut.http.get('/api/admin/delivery/suppressions?limit=100', asA());
      expect(list.body.items.map((item: any) => item.id)).not.toContain(suppressionB);
      expect((await sut.http.delete(`/api/admin/delivery/suppressions/${suppressionB}`, asA())).status).toBe(404);
    });

    it('should refuse ?tenantId= for an admin who is not a platform admin', async () => {
      const response = await sut.http.get(`/api/admin/users?tenantId=${tenantB}`, asA());
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('FORBIDDEN');
      expect((await sut.http.get(`/api/admin/users/${userB.id}?tenantId=${tenantB}`, asA())).status).toBe(403);
    });

    it('should let a platform admin select another tenant with ?tenantId=', async () => {
      const platform = await signedInAs(sut, ['admin'], { tenantId: tenantA, isPlatformAdmin: true });
      const as = { token: platform.token, headers: tenantHeader(tenantA) };
      const list = await sut.http.get(`/api/admin/users?tenantId=${tenantB}`, as);
      expect(list.body.items.map((user: any) => user.id)).toEqual([userB.id]);
      expect((await sut.http.get(`/api/admin/users/${userB.id}`, as)).status).toBe(200);
      const audit = await sut.http.get(`/api/admin/audit?tenantId=${tenantB}&userId=${userB.id}`, as);
      expect(audit.body.items.length).toBeGreaterThan(0);
      // Naming the wrong tenant for a user is still NOT_FOUND.
      expect((await sut.http.get(`/api/admin/users/${userB.id}?tenantId=${tenantA}`, as)).status).toBe(404);
    });
  });
});
