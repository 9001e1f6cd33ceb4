import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { ServiceProcess } from '../support/service-process';
import { Deployment } from './deployment';

/**
 * Slow clients must not hold the API's sockets: a client that trickles its headers
 * (slowloris) or its body is cut off by the request timeout, and an idle keep-alive
 * connection is closed after the keep-alive timeout. The timeouts are set small here so the
 * suite runs in seconds; production keeps the defaults (30 s, 30 s, 5 s).
 *
 * Needs the timeouts to be configuration (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS,
 * HTTP_KEEP_ALIVE_TIMEOUT_MS, HTTP_CONNECTION_TIMEOUT_MS) and Node's deadline check to run
 * often enough (`connectionsCheckingInterval`, 30 s by default, would add up to 30 s).
 */
const HEADERS_TIMEOUT_MS = 1500;
const REQUEST_TIMEOUT_MS = 2500;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** Larger than the others: a trickling client is never idle, so only the request/headers timeouts can stop it. */
const CONNECTION_TIMEOUT_MS = 6000;
/** Node checks the headers/request deadlines on a timer, not per byte: allow one check interval and scheduling. */
const SLACK_MS = 1500;
const TRICKLE_EVERY_MS = 150;
/**
 * Node (20+) closes an idle keep-alive socket 1 s after the timeout it announces in
 * `Keep-Alive: timeout=N`, so that the client, told N, always gives up first.
 */
const NODE_KEEP_ALIVE_BUFFER_MS = 1000;

interface Outcome {
  /** From connecting to the server closing the connection (NaN: still open at the deadline). */
  closedAfterMs: number;
  /** performance.now() at the close (NaN: still open). */
  closedAt: number;
  /** What the server wrote before it closed (a status line, if any). */
  received: string;
}

/** Opens a raw TCP connection; `drive` writes to it; resolves when the server closes it (or the deadline passes). */
async function slowClient(
  port: number,
  drive: (socket: Socket, closed: () => boolean) => Promise<void>,
  deadlineMs: number,
): Promise<Outcome> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = performance.now();
  let received = '';
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  // EPIPE / ECONNRESET once the server has cut us: that is the expected end, not a failure.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve(performance.now() - started);
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(Number.NaN), deadlineMs)));
  void drive(socket, () => isClosed);
  const closedAfterMs = await Promise.race([closed, deadline]);
  clearTimeout(timer);
  socket.destroy();
  return { closedAfterMs, closedAt: started + closedAfterMs, received };
}

/** Writes `text` one byte at a time, then keeps writing filler forever, until the socket is closed. */
async function trickle(socket: Socket, closed: () => boolean, text: string, filler: string): Promise<void> {
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; !closed(); i++) {
    const byte = i < bytes.length ? bytes.subarray(i, i + 1) : Buffer.from(filler[(i - bytes.length) % filler.length]);
    socket.write(byte);
    await new Promise((resolve) => setTimeout(resolve, TRICKLE_EVERY_MS));
  }
}

const statusLine = (received: string) => received.split('\r\n')[0];

/** Closed by the server, and by the timeout under test: not before it, not long after it. */
function expectClosedBetween(closedAfterMs: number, minMs: number, maxMs: number): void {
  if (Number.isNaN(closedAfterMs)) {
    throw new Error(
      `the server never closed the connection (expected within ${maxMs} ms): are the HTTP_*_TIMEOUT_MS variables ` +
        `read by src/config/app.config.ts and passed to Fastify/Node by src/bootstrap.ts?`,
    );
  }
  expect(closedAfterMs).toBeGreaterThanOrEqual(minMs);
  expect(closedAfterMs).toBeLessThanOrEqual(maxMs);
}

describe('slow clients (built API process, small server timeouts)', () => {
  let deployment: Deployment;
  let api: ServiceProcess;

  beforeAll(async () => {
    deployment = await Deployment.create();
    api = await deployment.start('api', {
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      HTTP_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
    });
  });
  afterAll(async () => {
    await deployment?.close();
  });

  const port = () => api.port ?? 0;

  it('should cut off clients that send their headers a byte at a time (slowloris), and keep serving others', async () => {
    const deadline = HEADERS_TIMEOUT_MS + SLACK_MS * 2;
    const attackers = Array.from({ length: 10 }, () =>
      slowClient(
        port(),
        (socket, closed) =>
          trickle(socket, closed, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n'),
        deadline,
      ),
    );
    // While they trickle, a normal client is served at once.
    const live = await api.http().get('/health/live');
    expect(live.status).toBe(200);
    const outcomes = await Promise.all(attackers);
    console.log(
      `slowloris: closed after ${outcomes.map((outcome) => Math.round(outcome.closedAfterMs)).join(', ')} ms; ` +
        `answer ${JSON.stringify(statusLine(outcomes[0].received))}`,
    );
    for (const outcome of outcomes) {
      expectClosedBetween(outcome.closedAfterMs, HEADERS_TIMEOUT_MS * 0.9, HEADERS_TIMEOUT_MS + SLACK_MS);
      expect(statusLine(outcome.received)).not.toMatch(/^HTTP\/1\.1 2/);
    }
    expect(api.isRunning).toBe(true);
    expect((await api.http().get('/health/live')).status).toBe(200);
  });

  it('should cut off a client whose body never finishes, by the request timeout', async () => {
    const headers =
      'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const outcome = await slowClient(
      port(),
      async (socket, closed) => {
        // The headers at once, then a body that trickles and never reaches its announced length.
        socket.write(headers);
        await trickle(socket, closed, '{"email":"', 'a');
      },
      REQUEST_TIMEOUT_MS + SLACK_MS * 2,
    );
    console.log(
      `trickled body: closed after ${Math.round(outcome.closedAfterMs)} ms; answer ${JSON.stringify(statusLine(outcome.received))}`,
    );
    expectClosedBetween(outcome.closedAfterMs, REQUEST_TIMEOUT_MS * 0.9, REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(statusLine(outcome.received)).not.toMatch(/^HTTP\/1\.1 2/);
    expect((await api.http().get('/health/live')).status).toBe(200);
  });

  it('should close an idle keep-alive connection after the keep-alive timeout', async () => {
    let answeredAt = 0;
    const outcome = await slowClient(
      port(),
      async (socket) => {
        socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
        await once(socket, 'data');
        answeredAt = performance.now();
      },
      KEEP_ALIVE_TIMEOUT_MS + NODE_KEEP_ALIVE_BUFFER_MS + SLACK_MS * 2,
    );
    const idleMs = outcome.closedAt - answeredAt;
    console.log(`keep-alive: idle connection closed ${Math.round(idleMs)} ms after the answer`);
    expect(statusLine(outcome.received)).toBe('HTTP/1.1 200 OK');
    expect(outcome.received.toLowerCase()).toContain(`keep-alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    expectClosedBetween(idleMs, KEEP_ALIVE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS + NODE_KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  });

  it('should not cut off a slow but finishing client, nor a keep-alive connection in use (control)', async () => {
    // Headers spread over half the headers timeout, then a complete request: answered normally.
    const request = 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n';
    const socket = connect(port(), '127.0.0.1');
    await once(socket, 'connect');
    const pause = HEADERS_TIMEOUT_MS / 2 / 4;
    for (const part of request.match(/[\s\S]{1,20}/g) ?? []) {
      socket.write(part);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    const [first] = (await once(socket, 'data')) as [Buffer];
    expect(statusLine(first.toString('latin1'))).toBe('HTTP/1.1 200 OK');
    // Reused within the keep-alive timeout, three times: still open, still answering.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, KEEP_ALIVE_TIMEOUT_MS / 2));
      socket.write(request);
      const [next] = (await once(socket, 'data')) as [Buffer];
      expect(statusLine(next.toString('latin1'))).toBe('HTTP/1.1 200 OK');
    }
    socket.destroy();
  });
});
