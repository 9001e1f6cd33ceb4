import { createServer, connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { startTestApp, type TestApp } from '../support/test-app';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdef';

/** A port nothing listens on right now, for the metrics listener to take. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether a TCP connection to host:port is accepted (true) or refused (false). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const externalAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && address.family === 'IPv4')
    .map((address) => address!.address);

describe('metrics access: /metrics is not public (it counts deliveries per account action)', () => {
  describe('with neither METRICS_TOKEN nor METRICS_PORT', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startTestApp({ METRICS_TOKEN: undefined, METRICS_PORT: undefined });
    });
    afterAll(() => sut?.close());

    it('should answer an anonymous scraper 404 NOT_FOUND, so delivery counters cannot tell which accounts exist', async () => {
      await sut.http.post('/api/auth/password/forgot', { email: 'someone@example.com' });
      const scraped = await sut.http.fork().get('/metrics');
      expect(scraped.status).toBe(404);
      expect(scraped.body).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        error: 'Not found',
        requestId: scraped.headers.get('x-request-id'),
      });
      expect(scraped.text).not.toContain('delivery_messages_total');
    });
  });

  describe('with METRICS_TOKEN', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startTestApp({ METRICS_TOKEN, METRICS_PORT: undefined });
    });
    afterAll(() => sut?.close());

    it('should refuse a scrape without the token, or with a wrong one, with 401 UNAUTHORIZED', async () => {
      const wrong = [
        undefined,
        'wrong-token',
        METRICS_TOKEN.slice(0, -1),
        `${METRICS_TOKEN}x`,
        METRICS_TOKEN.toUpperCase(),
      ];
      for (const token of wrong) {
        const scraped = await sut.http.fork().get('/metrics', token === undefined ? {} : { token });
        expect(scraped.status).toBe(401);
        expect(scraped.body.code).toBe('UNAUTHORIZED');
        expect(scraped.text).not.toContain('delivery_messages_total');
      }
      const basic = await sut.http.fork().get('/metrics', { headers: { authorization: `Basic ${METRICS_TOKEN}` } });
      expect(basic.status).toBe(401);
    });

    it('should serve the metrics to a scraper with the token', async () => {
      await sut.http.get('/health/live');
      const scraped = await sut.http.fork().get('/metrics', { token: METRICS_TOKEN });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toContain('text/plain');
      expect(scraped.text).toContain('route="/health/live"');
    });
  });

  describe('with METRICS_PORT', () => {
    let sut: TestApp;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      sut = await startTestApp({ METRICS_TOKEN: undefined, METRICS_PORT: String(port) });
    });
    afterAll(() => sut?.close());

    it('should not serve /metrics on the public port', async () => {
      const scraped = await sut.http.fork().get('/metrics');
      expect(scraped.status).toBe(404);
      expect(scraped.body.code).toBe('NOT_FOUND');
    });

    it('should serve /metrics on 127.0.0.1:METRICS_PORT, and nothing else there', async () => {
      await sut.http.get('/health/live');
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toContain('text/plain');
      expect(await scraped.text()).toContain('route="/health/live"');
      const other = await fetch(`http://127.0.0.1:${port}/api/auth/me`);
      expect(other.status).toBe(404);
      expect(((await other.json()) as { code: string }).code).toBe('NOT_FOUND');
    });

    it('should listen on the loopback interface only', async () => {
      expect(await accepts('127.0.0.1', port)).toBe(true);
      for (const address of externalAddresses()) expect(await accepts(address, port)).toBe(false);
    });

    it('should stop listening when the application closes', async () => {
      const other = await freePort();
      const app = await startTestApp({ METRICS_PORT: String(other) }, sut.resources);
      let listening: boolean;
      try {
        listening = await accepts('127.0.0.1', other);
      } finally {
        await app.close();
      }
      expect(listening).toBe(true);
      expect(await accepts('127.0.0.1', other)).toBe(false);
    });
  });
});
