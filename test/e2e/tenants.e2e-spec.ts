import { EntityManager, MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { isDeepStrictEqual } from 'node:util';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { AUDIT_MAINTENANCE_QUEUE, AUDIT_PRUNE_SCHEDULER } from '../../src/modules/audit/audit-maintenance.constants';
import { SessionQueries } from '../../src/modules/sessions/session-queries.service';
import { Tenant } from '../../src/modules/tenants/tenant.entity';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/eventually';
import { cli, createTenant, createUser, startSession, tenantHeader } from './admin-support';
import { createAuditEvents } from '../support/factories';

const DAY_MS = 86_400_000;

describe('tenants and operator commands', () => {
  let sut: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
    // Another API process on the same data: caches must not outlive a change made elsewhere.
    second = await startTestApp({ APP_ROLE: 'api' }, sut.resources);
  });
  afterAll(async () => {
    await second.close();
    await sut.close();
  });

  const em = () => sut.app.get(EntityManager).fork();

  describe('set-tenant-settings', () => {
    it('should merge validated settings that every process reads through settingsOf at once', async () => {
      const tenantId = await createTenant(sut);
      expect(await second.app.get(TenantsService).settingsOf(tenantId)).toEqual({});

      const first = await cli(sut, ['set-tenant-settings', '--id', tenantId, '--json', '{"passwordMinLength":15}']);
      expect(first.code).toBe(0);
      const next = await cli(sut, [
        'set-tenant-settings',
        '--id',
        tenantId,
        '--json',
        '{"allowedOtpChannels":["sms","email"],"mfaRequired":true,"accessTokenTtl":300}',
      ]);
      expect(next.code).toBe(0);

      const expected = {
        passwordMinLength: 15,
        allowedOtpChannels: ['sms', 'email'],
        mfaRequired: true,
        accessTokenTtl: 300,
      };
      expect((await em().findOneOrFail(Tenant, { id: tenantId })).settings).toEqual(expected);
      // The second process had the tenant cached; the pub/sub invalidation reaches it long before the 5 s TTL.
      await eventually(
        'the second process to see the new settings',
        async () => isDeepStrictEqual(await second.app.get(TenantsService).settingsOf(tenantId), expected),
        { deadlineMs: 1000 },
      );
    });

    it('should replace the settings with --replace', async () => {
      const tenantId = await createTenant(sut);
      await cli(sut, ['set-tenant-settings', '--id', tenantId, '--json', '{"passwordMinLength":15}']);
      const result = await cli(sut, [
        'set-tenant-settings',
        '--id',
        tenantId,
        '--json',
        '{"mfaRequired":true}',
        '--replace',
      ]);
      expect(result.code).toBe(0);
      expect((await em().findOneOrFail(Tenant, { id: tenantId })).settings).toEqual({ mfaRequired: true });
    });

    it.each([
      ['{"passwordMinLength":4}', 'passwordMinLength'],
      ['{"allowedOtpChannels":["pigeon"]}', 'allowedOtpChannels'],
      ['{"allowedOtpChannels":[]}', 'allowedOtpChannels'],
      ['{"mfaRequired":"yes"}', 'mfaRequired'],
      ['{"accessTokenTtl":1.5}', 'accessTokenTtl'],
      ['{"colour":"blue"}', 'colour'],
      ['[1,2]', 'JSON object'],
      ['{not json', 'not valid JSON'],
    ])('should refuse %s and change nothing', async (json, mention) => {
      const tenantId = await createTenant(sut);
      const result = await cli(sut, ['set-tenant-settings', '--id', tenantId, '--json', json]);
      expect(result.code).toBe(1);
      expect(result.output).toContain(mention);
      expect((await em().findOneOrFail(Tenant, { id: tenantId })).settings).toEqual({});
    });

    it('should audit tenant.settings_changed', async () => {
      const tenantId = await createTenant(sut);
      await cli(sut, ['set-tenant-settings', '--id', tenantId, '--json', '{"sessionIdleTtl":3600}']);
      const event = await em().findOneOrFail(AuditEvent, { tenantId, type: 'tenant.settings_changed' });
      expect(event.data).toEqual({ from: {}, to: { sessionIdleTtl: 3600 } });
    });
  });

  describe('disable-tenant / enable-tenant', () => {
    it('should refuse sign-in traffic on every process and revoke every session of the tenant', async () => {
      const tenantId = await createTenant(sut);
      const users = [await createUser(sut, { tenantId }), await createUser(sut, { tenantId })];
      const sessions = [
        await startSession(sut, users[0]),
        await startSession(sut, users[1]),
        await startSession(sut, users[1]),
      ];
      const bystander = await startSession(sut, await createUser(sut));
      for (const app of [sut, second]) {
        const me = await app.http.get('/api/auth/me', {
          token: sessions[0].accessToken,
          headers: tenantHeader(tenantId),
        });
        expect(me.status).toBe(200);
      }

      const result = await cli(sut, ['disable-tenant', '--id', tenantId]);
      expect(result.code).toBe(0);
      expect(result.output).toContain('3 sessions revoked');

      for (const app of [sut, second]) {
        await eventually(
          'every process to apply the change',
          async () => {
            const response = await app.http.post(
              '/api/auth/login',
              { email: users[0].email, password: 'whatever-it-is' },
              {
                headers: tenantHeader(tenantId),
              },
            );
            return response.status === 400 && response.body.code === 'TENANT_UNKNOWN';
          },
          { deadlineMs: 1000 },
        );
      }
      for (const user of users) {
        const live = await RequestContext.create(sut.app.get(MikroORM).em, () =>
          sut.app.get(SessionQueries).listLive(tenantId, user.id),
        );
        expect(live).toEqual([]);
      }
      expect((await sut.http.get('/api/auth/me', { token: bystander.accessToken })).status).toBe(200);
      expect(await em().count(AuditEvent, { tenantId, type: 'tenant.disabled' })).toBe(1);

      expect((await cli(sut, ['enable-tenant', '--id', tenantId])).code).toBe(0);
      for (const app of [sut, second]) {
        await eventually(
          'every process to apply the change',
          async () => {
            const response = await app.http.get('/api/auth/me', {
              token: sessions[0].accessToken,
              headers: tenantHeader(tenantId),
            });
            return response.status === 401;
          },
          { deadlineMs: 1000 },
        );
      }
      expect(await em().count(AuditEvent, { tenantId, type: 'tenant.enabled' })).toBe(1);
    });

    it('should never disable the default tenant', async () => {
      const result = await cli(sut, ['disable-tenant', '--id', 'default']);
      expect(result.code).toBe(1);
      expect((await em().findOneOrFail(Tenant, { id: 'default' })).isActive).toBe(true);
    });

    it('should fail on an unknown tenant', async () => {
      expect((await cli(sut, ['disable-tenant', '--id', 'no-such-tenant'])).code).toBe(1);
    });
  });

  describe('grant-role / grant-platform-admin', () => {
    it('should add the role, audit role.changed and apply it to live sessions at once', async () => {
      const user = await createUser(sut);
      const session = await startSession(sut, user);
      expect((await sut.http.get('/api/admin/users', { token: session.accessToken })).status).toBe(403);

      const result = await cli(sut, ['grant-role', '--email', user.email!.toUpperCase(), '--role', 'admin']);
      expect(result.code).toBe(0);
      expect((await em().findOneOrFail(User, { id: user.id })).roles).toEqual(['user', 'admin']);
      expect((await sut.http.get('/api/admin/users', { token: session.accessToken })).status).toBe(200);
      const event = await em().findOneOrFail(AuditEvent, { subjectId: user.id, type: 'role.changed' });
      expect(event.data).toEqual({ from: ['user'], to: ['user', 'admin'], via: 'cli' });
      expect(event.actorId).toBeNull();
    });

    it('should find the user in the tenant given with --tenant only', async () => {
      const tenantId = await createTenant(sut);
      const user = await createUser(sut, { tenantId });
      expect((await cli(sut, ['grant-role', '--email', user.email!, '--role', 'support'])).code).toBe(1);
      expect(
        (await cli(sut, ['grant-role', '--email', user.email!, '--role', 'support', '--tenant', tenantId])).code,
      ).toBe(0);
      expect((await em().findOneOrFail(User, { id: user.id })).roles).toEqual(['user', 'support']);
    });

    it('should refuse an unknown role', async () => {
      const user = await createUser(sut);
      const result = await cli(sut, ['grant-role', '--email', user.email!, '--role', 'root']);
      expect(result.code).toBe(1);
      expect(result.output).toContain('--role must be one of');
    });

    it('should make a platform admin: role admin and reach across tenants', async () => {
      const user = await createUser(sut);
      const result = await cli(sut, ['grant-platform-admin', '--email', user.email!]);
      expect(result.code).toBe(0);
      const row = await em().findOneOrFail(User, { id: user.id });
      expect(row.isPlatformAdmin).toBe(true);
      expect(row.roles).toContain('admin');
      const other = await createTenant(sut);
      const session = await startSession(sut, row);
      expect((await sut.http.get(`/api/admin/users?tenantId=${other}`, { token: session.accessToken })).status).toBe(
        200,
      );
    });
  });

  describe('audit retention', () => {
    async function seed(tenantId: string) {
      const event = (ageDays: number) => ({ tenantId, createdAt: new Date(Date.now() - ageDays * DAY_MS) });
      await createAuditEvents(sut, [event(400), event(400), event(366), event(300)]);
    }

    it('should delete only events older than the retention period (CLI prune-audit)', async () => {
      const tenantId = await createTenant(sut);
      await seed(tenantId);
      const result = await cli(sut, ['prune-audit']);
      expect(result.code).toBe(0);
      const left = await em().find(AuditEvent, { tenantId, type: { $ne: 'audit.pruned' } });
      expect(left).toHaveLength(1);
      expect(left[0].createdAt.getTime()).toBeGreaterThan(Date.now() - 301 * DAY_MS);
      const record = await em().findOneOrFail(AuditEvent, { tenantId, type: 'audit.pruned' });
      expect(record.data).toMatchObject({ deleted: 3 });
    });

    it('should honour --days', async () => {
      const tenantId = await createTenant(sut);
      await seed(tenantId);
      expect((await cli(sut, ['prune-audit', '--days', '200'])).code).toBe(0);
      expect(await em().count(AuditEvent, { tenantId, type: { $ne: 'audit.pruned' } })).toBe(0);
      expect((await cli(sut, ['prune-audit', '--days', '0'])).code).toBe(1);
    });

    it('should still refuse UPDATE and DELETE of audit events outside the retention job', async () => {
      const tenantId = await createTenant(sut);
      await seed(tenantId);
      await cli(sut, ['prune-audit', '--days', '350']);
      const connection = em().getConnection();
      await expect(connection.execute(`delete from "audit_event" where "tenant_id" = ?`, [tenantId])).rejects.toThrow(
        /append-only/,
      );
      await expect(
        connection.execute(`update "audit_event" set "type" = 'x' where "tenant_id" = ?`, [tenantId]),
      ).rejects.toThrow(/append-only/);
      // Even a transaction that set the prune flag may not rewrite history.
      await expect(
        em().transactional(async (tx) => {
          await tx.execute(`set local secureauth.audit_prune = 'on'`);
          await tx.execute(`update "audit_event" set "type" = 'x' where "tenant_id" = ?`, [tenantId]);
        }),
      ).rejects.toThrow(/append-only/);
      expect(await em().count(AuditEvent, { tenantId, type: { $ne: 'audit.pruned' } })).toBe(1);
    });

    it('should schedule the daily prune in the worker and delete old events when the job runs', async () => {
      const queue = sut.app.get<Queue>(getQueueToken(AUDIT_MAINTENANCE_QUEUE));
      const scheduler = await queue.getJobScheduler(AUDIT_PRUNE_SCHEDULER);
      expect(scheduler).toMatchObject({ pattern: expect.any(String) });

      const tenantId = await createTenant(sut);
      await seed(tenantId);
      const job = await queue.add('prune', {});
      await eventually('the job to complete', async () => (await job.getState()) === 'completed');
      expect(await em().count(AuditEvent, { tenantId, type: { $ne: 'audit.pruned' } })).toBe(1);
    });
  });
});
