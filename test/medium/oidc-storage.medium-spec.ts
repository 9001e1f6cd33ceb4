import { OidcClients } from '../../src/modules/oidc/clients/oidc-clients.service';
import { OidcRecord } from '../../src/modules/oidc/oidc.entities';
import { SWEEP_EVERY_WRITES } from '../../src/modules/oidc/provider/oidc-adapters';
import { OidcClientAdapter } from '../../src/modules/oidc/provider/oidc-client.adapter';
import { OidcStorage } from '../../src/modules/oidc/provider/oidc-storage';
import { newMediumTest, type MediumTest } from './medium.factory';

/**
 * oidc-provider's storage on the real PostgreSQL and Redis: what the provider relies on (find,
 * consume, destroy, revoke by grant, sessions by uid), each tenant's records invisible to another
 * tenant's provider, and expired durable records swept by the write path.
 */
describe(OidcStorage.name, () => {
  let medium: MediumTest<OidcStorage>;
  let storage: OidcStorage;

  beforeAll(async () => {
    medium = await newMediumTest(OidcStorage, { providers: [OidcClientAdapter, OidcClients] });
    storage = medium.sut;
  });
  afterAll(() => medium.close());

  const now = () => Math.floor(Date.now() / 1000);

  describe.each(['RefreshToken', 'AccessToken'])('%s records', (model) => {
    it('should keep, consume, destroy and revoke by grant, within one tenant only', async () => {
      const own = storage.adapterFor('default', model);
      const other = storage.adapterFor('elsewhere', model);
      const payload = { jti: `${model}-1`, grantId: `grant-${model}`, exp: now() + 60, clientId: 'c' };
      await own.upsert(`${model}-1`, payload, 60);
      await own.upsert(`${model}-2`, { ...payload, jti: `${model}-2` }, 60);

      expect(await own.find(`${model}-1`)).toMatchObject(payload);
      expect(await other.find(`${model}-1`)).toBeUndefined();

      await own.consume(`${model}-1`);
      expect((await own.find(`${model}-1`))?.consumed).toBeGreaterThanOrEqual(now() - 1);

      await other.revokeByGrantId(`grant-${model}`);
      expect(await own.find(`${model}-2`)).toBeDefined();
      await own.revokeByGrantId(`grant-${model}`);
      expect(await own.find(`${model}-1`)).toBeUndefined();
      expect(await own.find(`${model}-2`)).toBeUndefined();
    });
  });

  it('should find a browser session by its uid, and forget it once destroyed', async () => {
    const sessions = storage.adapterFor('default', 'Session');
    await sessions.upsert('session-1', { jti: 'session-1', uid: 'uid-1', exp: now() + 60 }, 60);
    expect(await sessions.findByUid('uid-1')).toMatchObject({ jti: 'session-1' });
    await sessions.destroy('session-1');
    expect(await sessions.find('session-1')).toBeUndefined();
  });

  it('should not find an expired durable record, and sweep expired ones as it writes', async () => {
    const grants = storage.adapterFor('default', 'Grant');
    const em = medium.em();
    for (let i = 0; i < 3; i++) {
      await em.insert(OidcRecord, {
        kind: 'Grant',
        id: `expired-${i}`,
        tenantId: 'default',
        payload: { jti: `expired-${i}` },
        expiresAt: new Date(Date.now() - 1000),
      });
    }
    expect(await grants.find('expired-0')).toBeUndefined();

    for (let i = 0; i < SWEEP_EVERY_WRITES; i++) {
      await grants.upsert(`live-${i}`, { jti: `live-${i}`, exp: now() + 600 }, 600);
    }
    expect(await medium.em().count(OidcRecord, { id: { $like: 'expired-%' } })).toBe(0);
    expect(await medium.em().count(OidcRecord, { id: { $like: 'live-%' } })).toBe(SWEEP_EVERY_WRITES);
  });

  it("should read clients from the registry, another tenant's never", async () => {
    const created = await medium
      .get(OidcClients)
      .create('default', { name: 'App', redirectUris: ['https://app.example/cb'] });
    const metadata = await storage.adapterFor('default', 'Client').find(created.clientId);
    expect(metadata).toMatchObject({
      client_id: created.clientId,
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    });
    expect(JSON.stringify(metadata)).not.toContain(created.clientSecret!);
    expect(await storage.adapterFor('elsewhere', 'Client').find(created.clientId)).toBeUndefined();
  });
});
