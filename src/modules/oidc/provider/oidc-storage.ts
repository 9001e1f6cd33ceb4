import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Adapter } from 'oidc-provider';
import { REDIS } from '../../../common/redis/redis.constants';
import { DURABLE_MODELS, PostgresOidcAdapter, RedisOidcAdapter } from './oidc-adapters';
import { OidcClientAdapter } from './oidc-client.adapter';

/** Where a tenant's provider keeps each model: clients from the registry, durable ones in PostgreSQL, the rest in Redis. */
@Injectable()
export class OidcStorage {
  constructor(
    private readonly em: EntityManager,
    @Inject(REDIS) private readonly redis: Redis,
    readonly clients: OidcClientAdapter,
  ) {}

  adapterFor(tenantId: string, model: string): Adapter {
    if (model === 'Client') return this.clients.forTenant(tenantId);
    return DURABLE_MODELS.has(model)
      ? new PostgresOidcAdapter(this.em.fork(), tenantId, model)
      : new RedisOidcAdapter(this.redis, tenantId, model);
  }
}
