import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { Tenant, type TenantSettings } from './tenant.entity';

const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/**
 * Tenants change rarely; a short cache keeps PostgreSQL off the hot path. Disabling a tenant
 * also revokes its sessions, so authenticated callers are cut off at once regardless.
 */
const CACHE_MS = 5_000;

@Injectable()
export class TenantsService {
  private readonly cache = new Map<string, { tenant: Tenant | null; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** The active tenant for an X-Tenant-Id value, or TENANT_UNKNOWN. */
  async resolveActive(id: string): Promise<Tenant> {
    if (!TENANT_ID_PATTERN.test(id)) throw new AppException('TENANT_UNKNOWN');
    const now = this.clock.nowMs();
    const cached = this.cache.get(id);
    let tenant = cached && cached.until > now ? cached.tenant : undefined;
    if (tenant === undefined) {
      tenant = await this.em.fork().findOne(Tenant, { id });
      this.cache.set(id, { tenant, until: now + CACHE_MS });
    }
    if (!tenant?.isActive) throw new AppException('TENANT_UNKNOWN');
    return tenant;
  }

  async settingsOf(id: string): Promise<TenantSettings> {
    return (await this.resolveActive(id)).settings;
  }

  async create(id: string, name: string): Promise<Tenant> {
    if (!TENANT_ID_PATTERN.test(id)) throw new Error('Tenant id must match ' + TENANT_ID_PATTERN.source);
    const em = this.em.fork();
    if (await em.findOne(Tenant, { id })) throw new Error(`Tenant ${id} already exists`);
    const tenant = em.create(Tenant, { id, name, isActive: true, settings: {} });
    await em.flush();
    return tenant;
  }

  async setActive(id: string, isActive: boolean): Promise<Tenant> {
    const em = this.em.fork();
    const tenant = await em.findOneOrFail(Tenant, { id });
    tenant.isActive = isActive;
    await em.flush();
    this.cache.delete(id);
    return tenant;
  }
}
