import { EntityManager } from '@mikro-orm/postgresql';
import * as oidc from 'openid-client';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { OidcClient } from '../../src/modules/oidc/oidc.entities';
import { discover } from '../support/relying-party';
import { freePort, startTestApp, type TestApp } from '../support/test-app';
import { cli, createTenant, signedInAs, tenantHeader, type SignedIn } from './admin-support';

/**
 * The OIDC client registry: the admin API and the CLI (API.md "OpenID Connect provider"), checked
 * against the provider itself with openid-client's client_credentials grant: a rotated or deleted
 * client's old secret stops working at once, and another tenant's admin cannot see or touch it.
 */
describe('OIDC clients: admin API and CLI', () => {
  let sut: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    const port = await freePort();
    sut = await startTestApp({ PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, undefined, { port });
    admin = await signedInAs(sut, ['admin']);
  });
  afterAll(() => sut.close());

  const issuer = () => `${sut.url}/oidc/default`;
  const service = (token = admin.token, tenantId = 'default') => {
    const options = { token, headers: tenantHeader(tenantId) };
    return {
      create: (body: object) => sut.http.post('/api/admin/oidc/clients', body, options),
      list: () => sut.http.get('/api/admin/oidc/clients', options),
      patch: (id: string, body: object) => sut.http.patch(`/api/admin/oidc/clients/${id}`, body, options),
      rotate: (id: string) => sut.http.post(`/api/admin/oidc/clients/${id}/secret`, undefined, options),
      remove: (id: string) => sut.http.delete(`/api/admin/oidc/clients/${id}`, options),
    };
  };
  const machine = { name: 'Billing job', redirectUris: [], grantTypes: ['client_credentials'] };

  it('should show the secret once, keep only its hash, and let the client in with it', async () => {
    const created = await service().create(machine);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Billing job',
      public: false,
      firstParty: false,
      grantTypes: ['client_credentials'],
    });
    const secret = created.body.clientSecret as string;
    expect(secret.length).toBeGreaterThanOrEqual(43);

    const row = await sut.app.get(EntityManager).fork().findOneOrFail(OidcClient, { clientId: created.body.clientId });
    expect(row.secretHash).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(secret);
    const listed = await service().list();
    expect(
      listed.body.items.find((c: { clientId: string }) => c.clientId === created.body.clientId),
    ).not.toHaveProperty('clientSecret');
    const tokens = await oidc.clientCredentialsGrant(await discover(issuer(), created.body.clientId, secret));
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    const audited = await sut.app
      .get(EntityManager)
      .fork()
      .find(AuditEvent, { type: 'oidc.client_created', actorId: admin.id });
    expect(audited.map((event) => event.data)).toContainEqual(
      expect.objectContaining({ clientId: created.body.clientId }),
    );
    expect(JSON.stringify(audited)).not.toContain(secret);
  });

  it('should make the old secret fail at once after a rotation, and every secret after a deletion', async () => {
    const created = (await service().create(machine)).body as { clientId: string; clientSecret: string };
    const rotated = await service().rotate(created.clientId);
    expect(rotated.status).toBe(200);
    const old = await discover(issuer(), created.clientId, created.clientSecret);
    await expect(oidc.clientCredentialsGrant(old)).rejects.toMatchObject({ error: 'invalid_client' });
    const fresh = await discover(issuer(), created.clientId, rotated.body.clientSecret as string);
    await oidc.clientCredentialsGrant(fresh);

    expect((await service().remove(created.clientId)).status).toBe(204);
    await expect(oidc.clientCredentialsGrant(fresh)).rejects.toMatchObject({ error: 'invalid_client' });
    expect((await service().remove(created.clientId)).status).toBe(404);
  });

  it('should refuse redirect URIs that are not exact https (or loopback http) URLs', async () => {
    for (const uri of ['http://app.example/cb', 'https://app.example/cb#x', 'javascript:alert(1)', 'not a url']) {
      const answer = await service().create({ name: 'Bad', redirectUris: [uri] });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect(answer.body.details[0].field).toBe('redirectUris');
    }
    const publicMachine = await service().create({ ...machine, public: true });
    expect(publicMachine.status).toBe(400);
    const noRedirect = await service().create({ name: 'Web app', redirectUris: [] });
    expect(noRedirect.body.details[0]).toMatchObject({ field: 'redirectUris' });
    const ok = await service().create({ name: 'Local', redirectUris: ['http://127.0.0.1:8080/cb'], public: true });
    expect(ok.status).toBe(201);
    expect(ok.body).not.toHaveProperty('clientSecret');
  });

  it("should keep another tenant's admin away from a client, and change it with PATCH", async () => {
    const created = (await service().create(machine)).body as { clientId: string };
    await createTenant(sut, 'oidc-admins');
    const foreign = await signedInAs(sut, ['admin'], { tenantId: 'oidc-admins' });
    expect((await service(foreign.token, 'oidc-admins').patch(created.clientId, { name: 'Mine now' })).status).toBe(
      404,
    );
    expect((await service(foreign.token, 'oidc-admins').rotate(created.clientId)).status).toBe(404);
    expect((await service(foreign.token, 'oidc-admins').list()).body.items).toEqual([]);

    const patched = await service().patch(created.clientId, { name: 'Billing', firstParty: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Billing', firstParty: true });
    expect((await service().patch(created.clientId, { public: true })).status).toBe(400);
  });

  it('should register a client from the CLI and print it with its secret once', async () => {
    const { code, output } = await cli(sut, [
      'create-client',
      '--tenant',
      'default',
      '--name',
      'Grafana',
      '--redirect-uri',
      'https://grafana.example.com/login/generic_oauth',
      '--first-party',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(output) as { clientId: string; clientSecret: string; firstParty: boolean };
    expect(printed.firstParty).toBe(true);
    const listed = (await service().list()).body.items as Array<{ clientId: string }>;
    expect(listed.map((c) => c.clientId)).toContain(printed.clientId);

    const bad = await cli(sut, ['create-client', '--name', 'X', '--redirect-uri', 'http://evil.example/cb']);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('redirectUris');
  });

  it('should answer ids PostgreSQL cannot hold as unknown, never with a 500 (the fuzzer found %00)', async () => {
    expect((await service().patch('%00', { name: 'x' })).status).toBe(404);
    expect((await service().rotate('%00')).status).toBe(404);
    const authorize = await fetch(`${issuer()}/auth?client_id=%00&response_type=code&scope=openid`, {
      redirect: 'manual',
    });
    expect(authorize.status).toBe(400);
    const created = (await service().create({ name: 'Web', redirectUris: ['https://app.example/cb'] })).body as {
      clientId: string;
      clientSecret: string;
    };
    const token = await fetch(`${issuer()}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=refresh_token&refresh_token=%00abc',
    });
    expect(token.status).toBe(400);
    expect(((await token.json()) as { error: string }).error).toBe('invalid_grant');
  });
});
