import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import type Redis from 'ioredis';
import { Clock } from '../../src/common/clock/clock';
import { CryptoModule } from '../../src/common/crypto/crypto.module';
import { GeoipModule } from '../../src/common/geoip/geoip.module';
import { MetricsModule } from '../../src/common/metrics/metrics.module';
import { REDIS } from '../../src/common/redis/redis.constants';
import { RedisModule } from '../../src/common/redis/redis.module';
import { configSlices } from '../../src/config';
import { DatabaseModule } from '../../src/database/database.module';
import { AuditModule } from '../../src/modules/audit/audit.module';
import { createTestResources, type TestResources } from '../support/test-database';
import { TestClock } from '../support/test-clock';

type Import = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

export interface MediumOptions {
  /** The modules the service needs beyond the infrastructure every medium test gets. */
  imports?: Import[];
  /** Real collaborators provided beside the service (its own module's services). */
  providers?: Provider[];
  /** The service comes from one of `imports` (its own module, as production wires it). */
  fromImports?: boolean;
  /**
   * Replacements at the providers' edge only (a transport, a third-party API): anything that
   * owns PostgreSQL or Redis state stays real.
   */
  fakes?: Array<{ provide: unknown; useValue: unknown }>;
  /** Environment for the config slices, on top of test/support/setup-env.ts. */
  env?: Record<string, string | undefined>;
  /** Where the TestClock stands still (default: now, standing still). */
  clockStart?: Date | number;
}

export interface MediumTest<T> {
  /** The service under test; each call runs in a request context of its own, as under HTTP or a job. */
  sut: T;
  clock: TestClock;
  /** A fork for the test's own reads and factories (never the service's context). */
  em: () => EntityManager;
  redis: Redis;
  module: TestingModule;
  resources: TestResources;
  get<U>(token: Type<U> | string | symbol): U;
  close(): Promise<void>;
}

/**
 * The middle tier between unit specs and e2e: one service built by Nest with its real module
 * graph below it, on a PostgreSQL database and a Redis prefix of its own, without HTTP, guards
 * or workers. Infrastructure is the production wiring (config slices, DatabaseModule,
 * RedisModule, CryptoModule, GeoipModule, MetricsModule, AuditModule); the Clock is a TestClock standing still; fakes are
 * allowed only at the providers' edge (see MediumOptions.fakes).
 */
export async function newMediumTest<T extends object>(
  service: Type<T>,
  options: MediumOptions = {},
): Promise<MediumTest<T>> {
  const resources = await createTestResources();
  const clock = TestClock.standingStill(options.clockStart);
  const env: Record<string, string | undefined> = {
    DATABASE_URL: resources.databaseUrl,
    REDIS_PREFIX: resources.redisPrefix,
    ...options.env,
  };
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  let module: TestingModule | undefined;
  try {
    const builder = Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configSlices }),
        DatabaseModule,
        RedisModule,
        CryptoModule,
        GeoipModule,
        MetricsModule,
        AuditModule,
        ...(options.imports ?? []),
      ],
      providers: [
        ...(options.providers ?? []),
        ...(options.fromImports || isProvidedBy(service, options.providers) ? [] : [service]),
      ],
    })
      .overrideProvider(Clock)
      .useValue(clock);
    for (const fake of options.fakes ?? []) builder.overrideProvider(fake.provide).useValue(fake.useValue);
    module = await builder.compile();
    // Lifecycle hooks run as in production (e.g. the first signing key is made on bootstrap).
    await module.init();
  } catch (error) {
    await module?.close();
    throw error;
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const instance = module.get(service, { strict: false });
  return {
    sut: inRequestContexts(instance, module.get(EntityManager)),
    clock,
    em: () => module.get(EntityManager).fork(),
    redis: module.get<Redis>(REDIS),
    module,
    resources,
    get: <U>(token: Type<U> | string | symbol) => module.get<U>(token, { strict: false }),
    close: () => module.close(),
  };
}

function isProvidedBy(service: Type, providers: Provider[] = []): boolean {
  return providers.some(
    (provider) => provider === service || (typeof provider === 'object' && provider.provide === service),
  );
}

/** Wraps every method call in a fresh MikroORM request context, as an HTTP request or a job has. */
function inRequestContexts<T extends object>(target: T, em: EntityManager): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        RequestContext.create(em, () => (value as (...a: unknown[]) => unknown).apply(object, args));
    },
  });
}
