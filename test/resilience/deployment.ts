import * as argon2 from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import type { HttpClient, TestResponse } from '../support/http-client';
import { ServiceProcess, type ServiceKind } from '../support/service-process';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestResources, type TestResources } from '../support/test-database';
import { TEST_REDIS_URL } from '../support/test-env';

/**
 * One small deployment for a fault test: its own database and Redis prefix, a TCP proxy in
 * front of PostgreSQL and one in front of Redis, and any number of built API / worker
 * processes that reach both only through the proxies.
 */
export class Deployment {
  readonly processes: ServiceProcess[] = [];
  private redis: Redis | undefined;

  private constructor(
    readonly resources: TestResources,
    readonly redisProxy: TcpProxy,
    readonly postgresProxy: TcpProxy,
    readonly env: Record<string, string | undefined>,
  ) {}

  static async create(env: Record<string, string | undefined> = {}): Promise<Deployment> {
    const resources = await createTestResources();
    const databaseTarget = new URL(resources.databaseUrl);
    const redisTarget = new URL(TEST_REDIS_URL);
    const [redisProxy, postgresProxy] = await Promise.all([
      TcpProxy.start({ host: redisTarget.hostname, port: Number(redisTarget.port || 6379) }),
      TcpProxy.start({ host: databaseTarget.hostname, port: Number(databaseTarget.port || 5432) }),
    ]);
    return new Deployment(resources, redisProxy, postgresProxy, env);
  }

  /** Starts a built process wired through the proxies; `env` overrides the deployment's. */
  async start(kind: ServiceKind = 'api', env: Record<string, string | undefined> = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.start({
      kind,
      env: {
        APP_ROLE: kind === 'api' ? 'api' : 'worker',
        DATABASE_URL: this.postgresProxy.rewrite(this.resources.databaseUrl),
        REDIS_URL: this.redisProxy.rewrite(TEST_REDIS_URL),
        REDIS_PREFIX: this.resources.redisPrefix,
        THROTTLE_ENABLED: 'false',
        ...this.env,
        ...env,
      },
    });
    this.processes.push(service);
    return service;
  }

  /** A signed-in user (native client: tokens in the JSON) on `api`; `roles` default to `user`. */
  async signIn(api: HttpClient, { roles }: { roles?: string[] } = {}): Promise<SignedInUser> {
    const email = `user-${randomBytes(6).toString('hex')}@example.com`;
    const password = `correct horse ${randomBytes(6).toString('hex')}`;
    await insertVerifiedUser(this.resources.databaseUrl, email, password, roles);
    return this.signInAgain(api, { email, password });
  }

  /** A SQL query straight to the deployment's database (not through the proxy): what is really committed. */
  query<T extends Record<string, unknown> = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return queryDatabase<T>(this.resources.databaseUrl, sql, params);
  }

  /** The deployment's Redis keys (prefix stripped) matching `pattern`, read straight from Redis. */
  async redisKeys(pattern: string): Promise<string[]> {
    // One connection for the deployment's life: tests poll this every few milliseconds.
    this.redis ??= new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const prefix = this.resources.redisPrefix;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch.map((key) => key.slice(prefix.length)));
    } while (cursor !== '0');
    return keys;
  }

  /** Audit events of `type` (all types when omitted), oldest first. */
  auditEvents(type?: string): Promise<AuditRow[]> {
    return this.query<AuditRow>(
      `select type, outcome, subject_id, data from audit_event ${type ? 'where type = $1' : ''} order by created_at, id`,
      type ? [type] : [],
    );
  }

  /** Both proxies back to relaying at full speed. */
  async clearFaults(): Promise<void> {
    this.redisProxy.latencyMs = 0;
    this.postgresProxy.latencyMs = 0;
    await Promise.all([this.redisProxy.restore(), this.postgresProxy.restore()]);
  }

  /** Another session of the same user (another device). */
  async signInAgain(api: HttpClient, user: { email: string; password: string }): Promise<SignedInUser> {
    const { email, password } = user;
    const response = await api.post('/api/auth/login', { email, password, client: 'native' });
    requireImplemented(response, 'POST /api/auth/login');
    if (response.status !== 200 || typeof response.body.accessToken !== 'string') {
      throw new Error(`login did not start a session: ${response.status} ${response.text}`);
    }
    return { email, password, accessToken: response.body.accessToken, sessionId: response.body.sessionId };
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((service) => service.stop('SIGTERM', 5000)));
    await Promise.all([this.redisProxy.close(), this.postgresProxy.close()]);
    this.redis?.disconnect();
  }
}

export type AuditRow = {
  type: string;
  outcome: string;
  subject_id: string | null;
  data: Record<string, unknown> | null;
};

export interface SignedInUser {
  email: string;
  password: string;
  accessToken: string;
  sessionId: string;
}

/**
 * A route another engineer is still building answers 404; the test then fails saying so
 * (never a silent skip), and passes by itself once the flow lands.
 */
export function requireImplemented(response: TestResponse, route: string): void {
  if (response.status === 404 && response.body?.code === 'NOT_FOUND') {
    throw new Error(`${route} is not implemented yet (404 NOT_FOUND): this test runs once that flow lands`);
  }
}

/** A user whose email is verified, with an argon2id hash made with the test parameters. */
export async function insertVerifiedUser(
  databaseUrl: string,
  email: string,
  password: string,
  roles: string[] = ['user'],
): Promise<string> {
  const hash = await argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: Number(process.env.ARGON2_MEMORY_KIB ?? 4096),
    timeCost: Number(process.env.ARGON2_TIME_COST ?? 1),
  });
  const id = randomUUID();
  await queryDatabase(
    databaseUrl,
    `insert into app_user (id, tenant_id, email, email_verified_at, password_hash, roles)
     values ($1, 'default', $2, now(), $3, $4)`,
    [id, email.toLowerCase(), hash, roles],
  );
  return id;
}

/** One query on its own connection, straight to the database (never through a proxy). */
async function queryDatabase<T extends Record<string, unknown>>(
  databaseUrl: string,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Times one call: fault tests assert an answer comes fast, not just that it comes. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

export const ERROR_KEYS = ['code', 'details', 'error', 'requestId', 'statusCode'];

/** API.md's error shape, nothing more: no stack, no SQL, no library message. */
export function expectErrorShape(response: TestResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.body).toEqual({
    statusCode: status,
    code,
    error: expect.any(String),
    requestId: response.headers.get('x-request-id'),
    ...(response.body.details === undefined ? {} : { details: expect.any(Array) }),
  });
}
