import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { ERROR_STATUS } from '../../src/common/errors/error-codes';
import { startTestApp, type TestApp } from '../support/test-app';
import { ERROR_KEYS, insertVerifiedUser } from './deployment';
import {
  encodeInvalidUtf8,
  INVALID_UTF8_MARKER,
  operationsOf,
  replaceStrings,
  requestArbitrary,
  SchemaArbitraries,
  type Credential,
  type FuzzRequest,
  type Operation,
} from './openapi-arbitraries';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 8;
const BATCH = 500;
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** What is wrong with an answer, per API.md: no 5xx, and every 4xx in the error shape and nothing else. */
function violationOf(answer: Answer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (answer.status < 400) return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return 'error body is not JSON';
  }
  const extra = Object.keys(body).filter((key) => !ERROR_KEYS.includes(key));
  if (extra.length > 0) return `error body has extra keys ${extra.join(',')}`;
  if (body.statusCode !== answer.status) return `statusCode ${String(body.statusCode)} differs from the status`;
  const code = body.code as keyof typeof ERROR_STATUS;
  const expectedStatus: number | undefined = ERROR_STATUS[code];
  if (expectedStatus !== answer.status) return `code ${String(code)} is not API.md's code for ${answer.status}`;
  if (typeof body.error !== 'string') return 'error is not a string';
  if (typeof body.requestId !== 'string' || body.requestId !== answer.headers.get('x-request-id')) {
    return 'requestId missing or not the X-Request-Id header';
  }
  if (body.details !== undefined) {
    const details = body.details as unknown[];
    const wellFormed =
      Array.isArray(details) &&
      details.every(
        (item) =>
          item !== null &&
          typeof item === 'object' &&
          typeof (item as Record<string, unknown>).field === 'string' &&
          typeof (item as Record<string, unknown>).message === 'string',
      );
    if (!wellFormed) return 'details is not [{field, message}]';
  }
  return undefined;
}

/** The route a path hits, roughly: ids and long segments collapsed, so failures group by route. */
function templateOf(path: string): string {
  return path
    .split('?')[0]
    .split('/')
    .slice(0, 5)
    .map((segment) => (/^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(segment) ? ':id' : segment.length > 24 ? ':long' : segment))
    .join('/');
}

describe('HTTP fuzzing from the OpenAPI document (one in-process instance, throttling off)', () => {
  let sut: TestApp;
  let operations: Operation[];
  let schemas: SchemaArbitraries;
  const tokens: Partial<Record<Credential, string>> = {
    garbage: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZXMiOlsiYWRtaW4iXX0.',
  };
  const accounts: Record<'user' | 'admin', { email: string; password: string }> = {
    user: { email: 'fuzz-user@example.com', password: 'fuzzing user password 1' },
    admin: { email: 'fuzz-admin@example.com', password: 'fuzzing admin password 1' },
  };
  const prototypeBaseline = Object.getOwnPropertyNames(Object.prototype).sort();

  async function send(request: FuzzRequest, credential: Credential = 'none'): Promise<Answer> {
    const headers = { ...request.headers };
    const token = tokens[credential];
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(sut.url + request.path, {
      method: request.method,
      headers,
      body: request.body,
      redirect: 'manual',
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** Fresh sessions for the fuzzing accounts: generated requests may log out or revoke them. */
  async function signInAccounts(): Promise<void> {
    for (const role of ['user', 'admin'] as const) {
      const response = await sut.http.post('/api/auth/login', { ...accounts[role], client: 'native' });
      if (response.status === 200) tokens[role] = response.body.accessToken;
    }
  }

  beforeAll(async () => {
    sut = await startTestApp({ THROTTLE_ENABLED: 'false', APP_ROLE: 'api', LOGIN_MAX_FAILURES: '1000000' });
    for (const role of ['user', 'admin'] as const) {
      await insertVerifiedUser(sut.resources.databaseUrl, accounts[role].email, accounts[role].password);
    }
    const client = new Client({ connectionString: sut.resources.databaseUrl });
    await client.connect();
    await client.query(`update app_user set roles = '{user,admin}' where email = $1`, [accounts.admin.email]);
    await client.end();
    await signInAccounts();
    const live = (await sut.http.get('/docs-json')).body;
    const committed = JSON.parse(readFileSync(resolve(__dirname, '../../openapi.json'), 'utf8'));
    const found = operationsOf(live, committed);
    // DELETE /api/account ends the fuzzing account for good (a deleted account cannot sign in
    // again), and every request after it would only meet 401s; its own e2e suite covers it.
    operations = found.operations.filter(
      (operation) => !(operation.method === 'DELETE' && operation.path === '/api/account'),
    );
    schemas = new SchemaArbitraries(found.schemas);
  });

  afterAll(async () => {
    await sut?.close();
  });

  it(`should answer ${REQUESTS} generated requests (valid, mutated, random) without a 5xx, every 4xx in the error shape`, async () => {
    const credentials = fc.constantFrom<Credential>('none', 'user', 'user', 'admin', 'garbage');
    const samples = fc.sample(requestArbitrary(operations, schemas, credentials), { numRuns: REQUESTS, seed: SEED });
    const failures = new Map<string, { count: number; example: string }>();
    const statuses = new Map<number, number>();
    const timings = new Map<string, number>();
    const started = performance.now();
    for (let offset = 0; offset < samples.length; offset += BATCH) {
      await signInAccounts();
      const batch = samples.slice(offset, offset + BATCH);
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batch.length) {
            const { request, credential } = batch[next++];
            let problem: string | undefined;
            let answer: Answer | undefined;
            const began = performance.now();
            try {
              answer = await send(request, credential);
              const route = `${request.method} ${templateOf(request.path)}`;
              timings.set(route, (timings.get(route) ?? 0) + performance.now() - began);
              problem = violationOf(answer);
              statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            } catch (error) {
              problem = `no answer: ${error instanceof Error ? error.message : String(error)}`;
            }
            if (problem) {
              // One example per kind of failure and route, so one bug does not hide the others.
              const route =
                request.method === 'OPTIONS' ? 'OPTIONS *' : `${request.method} ${templateOf(request.path)}`;
              const key = `${problem.replace(/ [0-9a-f-]{36}$/, '')} @ ${route}`;
              const seen = failures.get(key);
              if (seen) seen.count += 1;
              else if (failures.size < 40) {
                failures.set(key, {
                  count: 1,
                  example:
                    `${request.method} ${request.path.slice(0, 200)} [${request.kind}, ${credential}] ` +
                    `headers=${JSON.stringify(request.headers).slice(0, 300)} ` +
                    `body=${JSON.stringify(String(request.body ?? '').slice(0, 300))} ` +
                    `-> ${answer?.status} ${answer?.text.slice(0, 300)}`,
                });
              }
            }
          }
        }),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `fuzz: ${samples.length} requests over ${operations.length} operations in ${seconds.toFixed(1)} s ` +
        `(seed ${SEED}; replay with FUZZ_SEED=${SEED}); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    if (process.env.FUZZ_PROFILE) console.log([...timings].sort((x, y) => y[1] - x[1]).slice(0, 12));
    expect(Object.fromEntries(failures)).toEqual({});
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBaseline);
    // About 45 s on an idle 2-core machine; the margin is for a busy one.
  }, 180_000);

  it('should answer every body whose strings are all lone surrogates, NUL, invalid UTF-8 or confusables without a 5xx', async () => {
    const traps = [
      '\ud800',
      'ada\udfff@example.com',
      '\udc00\ud800',
      'ada@example.com\u0000',
      'ada@example.com\r\nBcc: victim@example.com',
      `ada${INVALID_UTF8_MARKER}@example.com`,
      `${INVALID_UTF8_MARKER}${INVALID_UTF8_MARKER}`,
      '\u0430dmin@ex\u0430mple.com',
      'ada@ex\u00e4mple.com',
      '"ada"@example.com',
      '\u202etxt.exe',
    ];
    const failures: string[] = [];
    await signInAccounts();
    for (const operation of operations.filter((candidate) => candidate.body)) {
      const [valid] = fc.sample(schemas.valid(operation.body!), { numRuns: 1, seed: SEED });
      for (const [index, trap] of traps.entries()) {
        const answer = await send(
          {
            kind: 'mutated',
            method: operation.method,
            path: operation.path.replace(/\{[^}]+\}/g, () => randomUUID()),
            headers: { 'content-type': 'application/json' },
            body: encodeInvalidUtf8(JSON.stringify(replaceStrings(valid, trap)), index),
          },
          'user',
        );
        const violation = violationOf(answer);
        if (violation) {
          failures.push(`${operation.method} ${operation.path} ${JSON.stringify(trap)}: ${violation} ${answer.text}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('should answer a body over 100 kB with 413 PAYLOAD_TOO_LARGE in the error shape', async () => {
    const body = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(101 * 1024) });
    const answer = await send({
      kind: 'random',
      method: 'POST',
      path: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).code).toBe('PAYLOAD_TOO_LARGE');
    expect(violationOf(answer)).toBeUndefined();
  });

  it.each([
    ['objects', (depth: number) => `{"email":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"password":"x"}`, 15_000],
    ['arrays', (depth: number) => `{"email":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`, 45_000],
  ])(
    'should answer deeply nested %s (under the size limit) with 400 VALIDATION_FAILED, not a crash',
    async (_kind, build, depth) => {
      for (const path of ['/api/auth/login', '/api/auth/register']) {
        const answer = await send({
          kind: 'random',
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json' },
          body: build(depth),
        });
        expect({ path, status: answer.status, violation: violationOf(answer) }).toEqual({
          path,
          status: 400,
          violation: undefined,
        });
      }
      expect((await sut.http.get('/health/live')).status).toBe(200);
    },
  );

  it('should not let __proto__ or constructor.prototype keys in bodies or queries pollute the server', async () => {
    const poison = [
      '{"__proto__":{"polluted":"yes","roles":["admin"],"isPlatformAdmin":true},"email":"fuzz-user@example.com","password":"fuzzing user password 1"}',
      '{"constructor":{"prototype":{"polluted":"yes","roles":["admin"]}},"email":"fuzz-user@example.com","password":"fuzzing user password 1"}',
      '{"email":"a@example.com","device":{"__proto__":{"polluted":"yes"}}}',
    ];
    const posts = operations.filter((operation) => operation.method !== 'GET' && !operation.path.includes('{'));
    for (const operation of posts) {
      for (const body of poison) {
        const answer = await send(
          {
            kind: 'mutated',
            method: operation.method,
            path: `${operation.path}?__proto__[polluted]=yes&constructor[prototype][polluted]=yes`,
            headers: { 'content-type': 'application/json' },
            body,
          },
          'user',
        );
        expect({ route: `${operation.method} ${operation.path}`, violation: violationOf(answer) }).toEqual({
          route: `${operation.method} ${operation.path}`,
          violation: undefined,
        });
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBaseline);

    // Behaviour after the attempts: a plain user is still a plain user.
    await signInAccounts();
    const me = await send({ kind: 'valid', method: 'GET', path: '/api/auth/me', headers: {} }, 'user');
    if (me.status === 200) expect(JSON.parse(me.text).user.roles).toEqual(['user']);
    const adminList = operations.find(
      (operation) => operation.method === 'GET' && /^\/api\/admin\/[a-z-]+$/.test(operation.path),
    );
    if (adminList) {
      const answer = await send({ kind: 'valid', method: 'GET', path: adminList.path, headers: {} }, 'user');
      expect({ route: adminList.path, status: answer.status }).toEqual({
        route: adminList.path,
        status: tokens.user ? 403 : 401,
      });
    }
  });

  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
  ])(
    'should answer a %s body on a JSON route with 415 UNSUPPORTED_MEDIA_TYPE in the error shape',
    async (contentType) => {
      const answer = await send({
        kind: 'random',
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': contentType },
        body: 'email=a%40example.com&password=secret',
      });
      expect({ status: answer.status, violation: violationOf(answer) }).toEqual({ status: 415, violation: undefined });
      expect(JSON.parse(answer.text).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('should answer request headers over the server limit with 431 or 400, and any body it sends in the error shape', async () => {
    const url = new URL(sut.url);
    const raw = await new Promise<string>((done, fail) => {
      const socket = connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', fail);
      socket.on('close', () => done(Buffer.concat(chunks).toString('utf8')));
      socket.end(
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Huge: ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
    });
    const [head, body = ''] = raw.split('\r\n\r\n');
    const status = Number(head.split(' ')[1]);
    expect([400, 431]).toContain(status);
    if (body.length > 0) {
      const requestId = /x-request-id: *([^\r\n]+)/i.exec(head)?.[1] ?? null;
      expect(
        violationOf({ status, text: body, headers: new Headers(requestId ? { 'x-request-id': requestId } : {}) }),
      ).toBeUndefined();
    }
    expect((await sut.http.get('/health/live')).status).toBe(200);
  });
});
