import { EntityManager } from '@mikro-orm/postgresql';
import { ROLE_PERMISSIONS } from '../../src/common/auth/permissions';
import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import { PermissionsService } from '../../src/modules/access/permissions.service';
import { User, type Role } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  createOidcClient,
  createSuppression,
  createUser,
  createWebhookDelivery,
  createWebhookEndpoint,
  signedInAs,
  startSession,
  type SignedIn,
} from './admin-support';

interface Route {
  name: string;
  permission: string;
  call(sut: TestApp, token: string): Promise<{ status: number; body: any }>;
}

describe('RBAC: admin routes by role', () => {
  let sut: TestApp;
  let target: User;

  beforeAll(async () => {
    sut = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    target = await createUser(sut);
  });
  afterAll(() => sut.close());

  const routes: Route[] = [
    {
      name: 'GET /api/admin/users',
      permission: 'users:read',
      call: (s, t) => s.http.get('/api/admin/users', { token: t }),
    },
    {
      name: 'GET /api/admin/users/:id',
      permission: 'users:read',
      call: (s, t) => s.http.get(`/api/admin/users/${target.id}`, { token: t }),
    },
    {
      name: 'PATCH /api/admin/users/:id',
      permission: 'users:write',
      call: (s, t) => s.http.patch(`/api/admin/users/${target.id}`, { status: 'active' }, { token: t }),
    },
    {
      name: 'DELETE /api/admin/users/:id/sessions',
      permission: 'sessions:revoke',
      call: (s, t) => s.http.delete(`/api/admin/users/${target.id}/sessions`, { token: t }),
    },
    {
      name: 'GET /api/admin/audit',
      permission: 'audit:read',
      call: (s, t) => s.http.get('/api/admin/audit', { token: t }),
    },
    {
      name: 'GET /api/admin/delivery/messages',
      permission: 'delivery:read',
      call: (s, t) => s.http.get('/api/admin/delivery/messages', { token: t }),
    },
    {
      name: 'GET /api/admin/delivery/suppressions',
      permission: 'delivery:read',
      call: (s, t) => s.http.get('/api/admin/delivery/suppressions', { token: t }),
    },
    {
      name: 'DELETE /api/admin/delivery/suppressions/:id',
      permission: 'delivery:write',
      call: async (s, t) =>
        s.http.delete(`/api/admin/delivery/suppressions/${await createSuppression(s)}`, { token: t }),
    },
    {
      name: 'GET /api/admin/tenant',
      permission: 'tenants:read',
      call: (s, t) => s.http.get('/api/admin/tenant', { token: t }),
    },
    {
      name: 'PATCH /api/admin/tenant',
      permission: 'tenants:write',
      call: (s, t) => s.http.patch('/api/admin/tenant', { passwordMinLength: 8 }, { token: t }),
    },
    {
      name: 'GET /api/admin/oidc/clients',
      permission: 'clients:read',
      call: (s, t) => s.http.get('/api/admin/oidc/clients', { token: t }),
    },
    {
      name: 'POST /api/admin/oidc/clients',
      permission: 'clients:write',
      call: (s, t) =>
        s.http.post(
          '/api/admin/oidc/clients',
          { name: 'rbac', redirectUris: ['https://app.example/cb'] },
          { token: t },
        ),
    },
    {
      name: 'PATCH /api/admin/oidc/clients/:clientId',
      permission: 'clients:write',
      call: async (s, t) =>
        s.http.patch(`/api/admin/oidc/clients/${await createOidcClient(s)}`, { name: 'x' }, { token: t }),
    },
    {
      name: 'POST /api/admin/oidc/clients/:clientId/secret',
      permission: 'clients:write',
      call: async (s, t) =>
        s.http.post(`/api/admin/oidc/clients/${await createOidcClient(s)}/secret`, undefined, { token: t }),
    },
    {
      name: 'DELETE /api/admin/oidc/clients/:clientId',
      permission: 'clients:write',
      call: async (s, t) => s.http.delete(`/api/admin/oidc/clients/${await createOidcClient(s)}`, { token: t }),
    },
    {
      name: 'GET /api/admin/webhooks',
      permission: 'webhooks:read',
      call: (s, t) => s.http.get('/api/admin/webhooks', { token: t }),
    },
    {
      name: 'POST /api/admin/webhooks',
      permission: 'webhooks:write',
      call: (s, t) =>
        s.http.post('/api/admin/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] }, { token: t }),
    },
    {
      name: 'PATCH /api/admin/webhooks/:id',
      permission: 'webhooks:write',
      call: async (s, t) =>
        s.http.patch(`/api/admin/webhooks/${await createWebhookEndpoint(s)}`, { enabled: false }, { token: t }),
    },
    {
      name: 'DELETE /api/admin/webhooks/:id',
      permission: 'webhooks:write',
      call: async (s, t) => s.http.delete(`/api/admin/webhooks/${await createWebhookEndpoint(s)}`, { token: t }),
    },
    {
      name: 'GET /api/admin/webhooks/:id/deliveries',
      permission: 'webhooks:read',
      call: async (s, t) =>
        s.http.get(`/api/admin/webhooks/${await createWebhookEndpoint(s)}/deliveries`, { token: t }),
    },
    {
      name: 'POST /api/admin/webhooks/:id/deliveries/:deliveryId/retry',
      permission: 'webhooks:write',
      call: async (s, t) => {
        // An endpoint nothing listens on: the retry is only queued here.
        const endpointId = await createWebhookEndpoint(s, 'default', { url: 'http://127.0.0.1:9/hook' });
        const deliveryId = await createWebhookDelivery(s, endpointId);
        return s.http.post(`/api/admin/webhooks/${endpointId}/deliveries/${deliveryId}/retry`, undefined, { token: t });
      },
    },
  ];

  // Written out, not derived from ROLE_PERMISSIONS: this is the contract the map must meet.
  const allowed: Record<Role, string[]> = {
    user: [],
    support: ['users:read', 'sessions:revoke', 'delivery:read'],
    auditor: ['users:read', 'audit:read', 'delivery:read', 'tenants:read', 'webhooks:read'],
    admin: [
      'users:read',
      'users:write',
      'sessions:revoke',
      'audit:read',
      'delivery:read',
      'delivery:write',
      'tenants:read',
      'tenants:write',
      'clients:read',
      'clients:write',
      'webhooks:read',
      'webhooks:write',
    ],
  };

  it('should keep the role -> permission map equal to the documented matrix', () => {
    for (const role of Object.keys(allowed) as Role[]) {
      expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...allowed[role]].sort());
    }
  });

  describe.each(Object.keys(allowed) as Role[])('role %s', (role) => {
    let caller: SignedIn;
    beforeAll(async () => {
      caller = await signedInAs(sut, [role]);
    });

    it.each(routes.map((route) => [route.name, route] as const))('%s', async (_name, route) => {
      const response = await route.call(sut, caller.token);
      if (allowed[role].includes(route.permission)) {
        expect([200, 201, 202, 204]).toContain(response.status);
      } else {
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('FORBIDDEN');
      }
    });
  });

  it('should combine the permissions of several roles', async () => {
    const caller = await signedInAs(sut, ['support', 'auditor']);
    expect((await sut.http.get('/api/admin/audit', { token: caller.token })).status).toBe(200);
    expect((await sut.http.delete(`/api/admin/users/${target.id}/sessions`, { token: caller.token })).status).toBe(204);
    expect(
      (await sut.http.patch(`/api/admin/users/${target.id}`, { status: 'active' }, { token: caller.token })).status,
    ).toBe(403);
  });

  it('should answer UNAUTHORIZED, not FORBIDDEN, without a token', async () => {
    const response = await sut.http.get('/api/admin/users');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHORIZED');
  });

  it('should refuse an admin demoted over PATCH on their very next request', async () => {
    const boss = await signedInAs(sut, ['admin']);
    const victim = await signedInAs(sut, ['admin']);
    expect((await sut.http.get('/api/admin/users', { token: victim.token })).status).toBe(200);

    const demote = await sut.http.patch(`/api/admin/users/${victim.id}`, { roles: ['user'] }, { token: boss.token });
    expect(demote.status).toBe(200);
    expect(demote.body.roles).toEqual(['user']);

    const after = await sut.http.get('/api/admin/users', { token: victim.token });
    expect(after.status).toBe(403);
    expect(after.body.code).toBe('FORBIDDEN');
  });

  it('should refuse an admin demoted directly in the database on their very next request', async () => {
    const admin = await signedInAs(sut, ['admin']);
    expect((await sut.http.get('/api/admin/audit', { token: admin.token })).status).toBe(200);
    await sut.app
      .get(EntityManager)
      .fork()
      .nativeUpdate(User, { id: admin.id }, { roles: ['support'] });
    // The token still says admin; the row does not.
    expect((await sut.http.get('/api/admin/audit', { token: admin.token })).status).toBe(403);
    expect((await sut.http.get('/api/admin/users', { token: admin.token })).status).toBe(200);
  });

  it('should refuse an admin whose account was restricted in the database, even with a live session', async () => {
    const admin = await signedInAs(sut, ['admin']);
    await sut.app.get(EntityManager).fork().nativeUpdate(User, { id: admin.id }, { status: 'restricted' });
    const response = await sut.http.get('/api/admin/users', { token: admin.token });
    expect(response.status).toBe(403);
  });

  it('should let a user promoted in the database in at once, whatever the token says', async () => {
    const user = await signedInAs(sut, ['user']);
    expect((await sut.http.get('/api/admin/users', { token: user.token })).status).toBe(403);
    await sut.app
      .get(EntityManager)
      .fork()
      .nativeUpdate(User, { id: user.id }, { roles: ['user', 'auditor'] });
    expect((await sut.http.get('/api/admin/audit', { token: user.token })).status).toBe(200);
  });

  it('should restrict through PATCH: sessions revoked at once and admin access gone', async () => {
    const boss = await signedInAs(sut, ['admin']);
    const victim = await signedInAs(sut, ['admin']);
    const patch = await sut.http.patch(
      `/api/admin/users/${victim.id}`,
      { status: 'restricted' },
      { token: boss.token },
    );
    expect(patch.status).toBe(200);
    expect(patch.body.status).toBe('restricted');
    const me = await sut.http.get('/api/auth/me', { token: victim.token });
    expect(me.status).toBe(401);
    const detail = await sut.http.get(`/api/admin/users/${victim.id}`, { token: boss.token });
    expect(detail.body.sessions).toEqual([]);
  });

  it('should disable through PATCH and revoke every session of the user', async () => {
    const boss = await signedInAs(sut, ['admin']);
    const user = await createUser(sut);
    const first = await startSession(sut, user);
    const second = await startSession(sut, user);
    expect((await sut.http.get('/api/auth/me', { token: first.accessToken })).status).toBe(200);

    const patch = await sut.http.patch(`/api/admin/users/${user.id}`, { status: 'disabled' }, { token: boss.token });
    expect(patch.status).toBe(200);
    for (const session of [first, second]) {
      expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
    }
  });

  it('should block password login with ACCOUNT_RESTRICTED and kill refresh tokens once an admin restricts the user', async () => {
    const boss = await signedInAs(sut, ['admin']);
    const password = 'violet-harbour-lantern-42';
    const user = await createUser(sut, { passwordHash: await sut.app.get(PasswordHasher).hash(password) });
    const login = () => sut.http.fork().post('/api/auth/login', { email: user.email, password, client: 'native' });
    const before = await login();
    expect(before.status).toBe(200);

    expect(
      (await sut.http.patch(`/api/admin/users/${user.id}`, { status: 'restricted' }, { token: boss.token })).status,
    ).toBe(200);
    const after = await login();
    expect(after.status).toBe(403);
    expect(after.body.code).toBe('ACCOUNT_RESTRICTED');
    const refresh = await sut.http.fork().post('/api/auth/refresh', { refreshToken: before.body.refreshToken });
    expect(refresh.status).toBe(401);
    expect((await sut.http.get('/api/auth/me', { token: before.body.accessToken })).status).toBe(401);
  });

  it('should expose the live checks for other modules (queue dashboard): assertLive and assertLivePlatformAdmin', async () => {
    const permissions = sut.app.get(PermissionsService);
    const principalOf = (signedIn: { id: string; sessionId: string }) => ({
      userId: signedIn.id,
      tenantId: 'default',
      sessionId: signedIn.sessionId,
      roles: ['admin' as Role],
      amr: ['pwd'],
      aal: 1 as const,
      authTime: 0,
      via: 'bearer' as const,
    });
    const platform = await signedInAs(sut, ['admin'], { isPlatformAdmin: true });
    const tenantAdmin = await signedInAs(sut, ['admin']);
    const auth = principalOf(platform);
    await expect(permissions.assertLivePlatformAdmin(auth)).resolves.toMatchObject({ id: platform.id });
    await expect(permissions.assertLivePlatformAdmin(principalOf(tenantAdmin))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await sut.app
      .get(EntityManager)
      .fork()
      .nativeUpdate(User, { id: platform.id }, { roles: ['user'] });
    await expect(permissions.assertLivePlatformAdmin(auth)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(permissions.assertLive(auth, 'users:read')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(permissions.assertLive(undefined, 'users:read')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('should document every admin route with bearer security and a 403 FORBIDDEN response', async () => {
    const doc = (await sut.http.get('/docs-json')).body;
    const adminOps = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .filter(([path]) => path.startsWith('/api/admin/'))
      .flatMap(([, ops]) => Object.values(ops));
    expect(adminOps).toHaveLength(routes.length);
    for (const op of adminOps) {
      expect(op.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
      expect(Object.keys(op.responses['403'].content['application/json'].examples)).toContain('FORBIDDEN');
      expect(op.responses['401']).toBeDefined();
    }
  });
});
