import { assertSettingsConsistent } from './tenant-settings.dto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { REDIS } from '../../common/redis/redis.constants';
import { captchaConfig } from '../../config/captcha.config';
import { redisConfig } from '../../config/redis.config';
import { tenantsConfig } from '../../config/tenants.config';
import { BoundedTtlCache } from './bounded-ttl-cache';
import { DEFAULT_TENANT_ID, Tenant, type TenantSettings } from './tenant.entity';

const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/**
 * Tenants change rarely; a short cache keeps PostgreSQL off the hot path. A change (disable,
 * settings) is broadcast over Redis pub/sub so every process drops its copy at once; the TTL
 * only bounds staleness when a message is lost (a subscriber reconnecting). Disabling a
 * tenant also revokes its sessions, so authenticated callers are cut off regardless.
 * Tenants that exist are few (operators create them); ids that do not exist come from
 * clients, so they are remembered apart, in a cache bounded in size and age.
 */
const CACHE_MS = 5_000;
const CHANGED_CHANNEL = 'tenant-changed';

@Injectable()
export class TenantsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantsService.name);
  private readonly cache = new Map<string, { tenant: Tenant; until: number }>();
  private readonly unknown: BoundedTtlCache<string, true>;
  private subscriber?: Redis;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(redisConfig.KEY) private readonly redisSettings: ConfigType<typeof redisConfig>,
    @Inject(captchaConfig.KEY) private readonly captcha: ConfigType<typeof captchaConfig>,
    @Inject(tenantsConfig.KEY) settings: ConfigType<typeof tenantsConfig>,
  ) {
    this.unknown = new BoundedTtlCache(settings.negativeCacheSize, settings.negativeCacheTtlMs);
  }

  /** Channels are not covered by ioredis' keyPrefix; prefix by hand so deployments sharing a Redis stay apart. */
  private get channel(): string {
    return `${this.redisSettings.prefix}${CHANGED_CHANNEL}`;
  }

  async onModuleInit(): Promise<void> {
    const subscriber = this.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    subscriber.on('error', () => {
      // Reconnects by itself; meanwhile the cache TTL bounds staleness.
    });
    subscriber.on('message', (_channel: string, id: string) => this.forget(id));
    this.subscriber = subscriber;
    try {
      await subscriber.connect();
      await subscriber.subscribe(this.channel);
    } catch (error) {
      this.logger.warn(`tenant cache invalidation unavailable: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }

  /** The active tenant for an X-Tenant-Id value, or TENANT_UNKNOWN. */
  async resolveActive(id: string): Promise<Tenant> {
    if (!TENANT_ID_PATTERN.test(id)) throw new AppException('TENANT_UNKNOWN');
    const now = this.clock.nowMs();
    if (this.unknown.get(id, now)) throw new AppException('TENANT_UNKNOWN');
    const cached = this.cache.get(id);
    let tenant = cached && cached.until > now ? cached.tenant : undefined;
    if (tenant === undefined) {
      const found = await this.em.fork().findOne(Tenant, { id });
      if (!found) {
        this.cache.delete(id);
        this.unknown.set(id, true, now);
        throw new AppException('TENANT_UNKNOWN');
      }
      tenant = found;
      this.cache.set(id, { tenant, until: now + CACHE_MS });
    }
    if (!tenant.isActive) throw new AppException('TENANT_UNKNOWN');
    return tenant;
  }

  async settingsOf(id: string): Promise<TenantSettings> {
    return (await this.resolveActive(id)).settings;
  }

  async find(id: string): Promise<Tenant | null> {
    return this.em.fork().findOne(Tenant, { id });
  }

  async create(id: string, name: string): Promise<Tenant> {
    if (!TENANT_ID_PATTERN.test(id)) throw new Error('Tenant id must match ' + TENANT_ID_PATTERN.source);
    const em = this.em.fork();
    if (await em.findOne(Tenant, { id })) throw new Error(`Tenant ${id} already exists`);
    const tenant = em.create(Tenant, { id, name, isActive: true, settings: {} });
    await em.flush();
    await this.invalidate(id);
    return tenant;
  }

  async setActive(id: string, isActive: boolean): Promise<Tenant> {
    // `default` always exists for clients that send no X-Tenant-Id (API.md "Tenant").
    if (!isActive && id === DEFAULT_TENANT_ID) throw new Error('the default tenant cannot be disabled');
    const em = this.em.fork();
    const tenant = await em.findOne(Tenant, { id });
    if (!tenant) throw new Error(`Tenant ${id} does not exist`);
    tenant.isActive = isActive;
    await em.flush();
    await this.invalidate(id);
    return tenant;
  }

  /**
   * Merges `settings` into the tenant's (or replaces them); input is validated by parseTenantSettings.
   * A CAPTCHA this deployment cannot verify is refused here, whichever path the change came by:
   * a tenant believing it has CAPTCHA on while nothing checks it would be worse than none.
   */
  async updateSettings(id: string, settings: TenantSettings, { replace = false } = {}): Promise<Tenant> {
    const em = this.em.fork();
    const tenant = await em.findOne(Tenant, { id });
    if (!tenant) throw new Error(`Tenant ${id} does not exist`);
    const next = replace ? { ...settings } : { ...tenant.settings, ...settings };
    assertSettingsConsistent(next);
    if (next.captcha === 'always' && !this.captcha.verify) {
      throw new AppException('VALIDATION_FAILED', [
        { field: 'captcha', message: '"always" needs CAPTCHA_VERIFY_URL and CAPTCHA_SECRET to be configured' },
      ]);
    }
    tenant.settings = next;
    await em.flush();
    await this.invalidate(id);
    return tenant;
  }

  private forget(id: string): void {
    this.cache.delete(id);
    this.unknown.delete(id);
  }

  private async invalidate(id: string): Promise<void> {
    this.forget(id);
    try {
      await this.redis.publish(this.channel, id);
    } catch (error) {
      // The change is committed; other processes catch up within CACHE_MS.
      this.logger.warn(`tenant change not broadcast: ${(error as Error).message}`);
    }
  }
}
