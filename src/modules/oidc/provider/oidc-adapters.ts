import type { EntityManager } from '@mikro-orm/postgresql';
import type Redis from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * Where oidc-provider keeps each of its models for one tenant. Short-lived ones (interactions,
 * codes, browser sessions, access tokens) live in Redis with their TTL; grants and refresh
 * tokens, which outlive a deploy and which revocation must find by grant, in PostgreSQL.
 * Clients come from the client registry (OidcClientAdapter), not from here.
 */
export const DURABLE_MODELS = new Set(['Grant', 'RefreshToken']);

/** Models whose records hang off a grant: revoking the grant deletes them. */
export const GRANT_BOUND_MODELS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
];

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Redis: one key per record, a set per grant (to revoke by grant), a uid index for sessions. */
export class RedisOidcAdapter implements Adapter {
  constructor(
    private readonly redis: Redis,
    private readonly tenantId: string,
    private readonly model: string,
  ) {}

  private key(id: string): string {
    return `oidc:${this.tenantId}:${this.model}:${id}`;
  }

  private grantKey(grantId: string): string {
    return `oidc:${this.tenantId}:grant:${grantId}`;
  }

  private uidKey(uid: string): string {
    return `oidc:${this.tenantId}:uid:${uid}`;
  }

  /**
   * The grant's index is written before the record (a record revocation could not find must
   * never exist); they live in different cluster slots, so not in one transaction.
   */
  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    const ttl = Math.max(1, expiresIn);
    if (payload.grantId && GRANT_BOUND_MODELS.includes(this.model)) {
      const grantKey = this.grantKey(payload.grantId);
      // The index outlives its longest member; it is only an index, never a proof.
      const results = await this.redis
        .multi()
        .sadd(grantKey, key)
        .expire(grantKey, ttl, 'GT')
        .expire(grantKey, ttl, 'NX')
        .exec();
      for (const [error] of results ?? []) if (error) throw error;
    }
    await Promise.all([
      this.redis.set(key, JSON.stringify(payload), 'EX', ttl),
      payload.uid && this.model === 'Session' && this.redis.set(this.uidKey(payload.uid), id, 'EX', ttl),
    ]);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as AdapterPayload) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(this.uidKey(uid));
    return id ? this.find(id) : undefined;
  }

  findByUserCode(): Promise<AdapterPayload | undefined> {
    // The device flow is off: no record has a user code.
    return Promise.resolve(undefined);
  }

  async consume(id: string): Promise<void> {
    // In place, keeping the TTL: a second use of the code then finds it consumed (and its grant is revoked).
    const key = this.key(id);
    const raw = await this.redis.get(key);
    if (!raw) return;
    const payload = JSON.parse(raw) as AdapterPayload;
    payload.consumed = nowSeconds();
    await this.redis.set(key, JSON.stringify(payload), 'KEEPTTL');
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = this.grantKey(grantId);
    // The set holds keys as key() built them; the client adds its prefix to both alike.
    const keys = await this.redis.smembers(grantKey);
    // One DEL per record (they are spread over a cluster's slots), and the index only after them.
    await Promise.all(keys.map((key) => this.redis.del(key)));
    await this.redis.del(grantKey);
  }
}

/**
 * Ids come from requests (a refresh_token parameter): one PostgreSQL cannot hold (a NUL byte, or
 * longer than the column) names no record, and must not become a query error (a 500).
 */
const isStorableId = (id: string) => id.length <= 128 && !id.includes('\0');

/** Every this many writes (per process), one write also deletes a batch of expired rows. */
export const SWEEP_EVERY_WRITES = 100;
const SWEEP_BATCH = 500;
const writes = { count: 0 };

/**
 * Expired grants and refresh tokens are never read again (find filters them) but would stay
 * forever: the write path that makes them removes them too, a bounded batch at a time, so no
 * job is needed and a busy deployment sweeps as fast as it writes.
 */
async function sweepExpired(em: EntityManager): Promise<void> {
  await em.execute(
    `delete from "oidc_record" where ctid in (
       select ctid from "oidc_record" where "expires_at" < now() limit ${SWEEP_BATCH})`,
  );
}

/** PostgreSQL: grants and refresh tokens in `oidc_record`, found by id, by grant, never across tenants. */
export class PostgresOidcAdapter implements Adapter {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    if (++writes.count % SWEEP_EVERY_WRITES === 0) await sweepExpired(this.em);
    await this.em.execute(
      `insert into "oidc_record" ("kind", "id", "tenant_id", "payload", "grant_id", "expires_at")
       values (?, ?, ?, ?::jsonb, ?, ?)
       on conflict ("kind", "id") do update
         set "payload" = excluded."payload", "grant_id" = excluded."grant_id", "expires_at" = excluded."expires_at"
       where "oidc_record"."tenant_id" = excluded."tenant_id"`,
      [this.model, id, this.tenantId, JSON.stringify(payload), payload.grantId ?? null, expiresAt],
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableId(id)) return undefined;
    const [row] = await this.em.execute<Array<{ payload: AdapterPayload; consumed: number | null }>>(
      `select "payload", extract(epoch from "consumed_at")::bigint as "consumed" from "oidc_record"
        where "kind" = ? and "id" = ? and "tenant_id" = ? and ("expires_at" is null or "expires_at" > now())`,
      [this.model, id, this.tenantId],
    );
    if (!row) return undefined;
    return row.consumed === null ? row.payload : { ...row.payload, consumed: Number(row.consumed) };
  }

  findByUid(): Promise<AdapterPayload | undefined> {
    return Promise.resolve(undefined);
  }

  findByUserCode(): Promise<AdapterPayload | undefined> {
    return Promise.resolve(undefined);
  }

  async consume(id: string): Promise<void> {
    if (!isStorableId(id)) return;
    await this.em.execute(
      `update "oidc_record" set "consumed_at" = now() where "kind" = ? and "id" = ? and "tenant_id" = ? and "consumed_at" is null`,
      [this.model, id, this.tenantId],
    );
  }

  async destroy(id: string): Promise<void> {
    await this.em.execute(`delete from "oidc_record" where "kind" = ? and "id" = ? and "tenant_id" = ?`, [
      this.model,
      id,
      this.tenantId,
    ]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.em.execute(`delete from "oidc_record" where "kind" = ? and "grant_id" = ? and "tenant_id" = ?`, [
      this.model,
      grantId,
      this.tenantId,
    ]);
  }
}
