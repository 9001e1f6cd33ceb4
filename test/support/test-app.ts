import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, type AddressInfo } from 'node:net';
import { createApp } from '../../src/bootstrap';
import { HttpClient } from './http-client';
import { createTestResources, type TestResources } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  http: HttpClient;
  resources: TestResources;
  close(): Promise<void>;
}

/**
 * Starts the real application (Fastify, PostgreSQL, Redis, queues) on a random local port
 * with its own database and Redis prefix. Pass `resources` to start a second instance on
 * the same data (two processes' view of one deployment).
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  resources?: TestResources,
  { port = 0 }: { port?: number } = {},
): Promise<TestApp> {
  const own = resources ?? (await createTestResources());
  const previous: Record<string, string | undefined> = {};
  const settings: Record<string, string | undefined> = {
    DATABASE_URL: own.databaseUrl,
    REDIS_PREFIX: own.redisPrefix,
    ...env,
  };
  for (const [key, value] of Object.entries(settings)) {
    previous[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    const app = await createApp();
    await app.listen(port, '127.0.0.1');
    const address = app.getHttpServer().address();
    const listening = typeof address === 'object' && address ? address.port : 0;
    const url = `http://127.0.0.1:${listening}`;
    return { app, url, http: new HttpClient(url), resources: own, close: () => app.close() };
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/**
 * A port free right now, for an app that must know its own origin before it starts (WebAuthn
 * checks the page's origin against WEBAUTHN_ORIGINS, and a passkey needs a `localhost` origin).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
