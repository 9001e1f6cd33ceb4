import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/eventually';
import type { ServiceProcess } from '../support/service-process';
import { SmtpTestServer } from '../support/smtp-test-server';
import { TEST_REDIS_URL } from '../support/test-env';
import { TwilioTestServer } from '../support/twilio-test-server';
import { Deployment } from './deployment';
import { MessageSinks } from './soak/message-sinks';
import { readProcessMemory, type ProcessMemory } from './soak/process-memory';
import { PhoneNumbers, SOAK_REFRESH_GRACE_SECONDS, SoakClient, SoakLedger, type SoakContext } from './soak/soak-client';
import { RequestStats, SoakHttp } from './soak/soak-http';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CLIENTS = 200;
/** Clients of the warm-up (one flow each) before the memory baseline is read. */
const WARMUP_CLIENTS = 50;
const WARMUP_DEADLINE_MS = 15_000;
/** The clients start spread over this ramp rather than in one burst, as real traffic grows. */
const RAMP_MS = 5_000;
/** Generous: an API process sits near 190 MB after the warm-up and peaked near 315 MB in 60 s runs. */
const RSS_CAP_MB = 400;
const RSS_GROWTH_CAP_MB = 200;
const MEMORY_SAMPLE_MS = 5_000;
const DRAIN_DEADLINE_MS = 15_000;
/** After SOAK_SECONDS, flows under way may finish for this long; then they are abandoned at their next request. */
const GRACE_MS = 20_000;

type DeliveryRow = {
  id: string;
  channel: string;
  purpose: string;
  status: string;
};

/**
 * The built service as production runs it (two API and two worker processes on one
 * PostgreSQL and Redis), under 200 concurrent clients for SOAK_SECONDS (default 60):
 * register → email code → verify → login → refresh → me → OTP login by SMS → logout, with
 * resends, new devices and attacks (re-used codes, replayed and racing refresh tokens,
 * racing codes) in the mix. Checked at the end: no 5xx, every accepted message delivered
 * exactly once, no secret accepted twice (a refresh token's grace window only ever answers
 * the successor it already had, and nothing after it), every refusal with API.md's code,
 * memory bounded.
 */
describe(`soak: ${CLIENTS} clients for ${SOAK_SECONDS} s against two API and two worker processes`, () => {
  let smtp: SmtpTestServer;
  let twilio: TwilioTestServer;
  let deployment: Deployment;
  let apis: ServiceProcess[];
  let workers: ServiceProcess[];
  let sinks: MessageSinks;
  let http: SoakHttp;
  const stats = new RequestStats();
  const ledger = new SoakLedger();
  const memory = new Map<number, { start: ProcessMemory; end?: ProcessMemory; samples: number[] }>();
  let deliveryRows: DeliveryRow[] = [];

  beforeAll(async () => {
    [smtp, twilio] = await Promise.all([SmtpTestServer.start(), TwilioTestServer.start()]);
    deployment = await Deployment.create({
      SMTP_URL: smtp.url,
      ...twilio.env(),
      // Never called back here; set so that each Twilio request names its delivery_message (StatusCallback).
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      // A resend is a new message at once: the mix tells a legitimate resend from a duplicate.
      OTP_RESEND_COOLDOWN: '0',
      DELIVERY_BACKOFF_MS: '200',
      THROTTLE_ENABLED: 'false',
      // Hundreds of code sign-ins by SMS a minute, all +1: past the hourly toll-fraud budgets.
      SMS_HOURLY_BUDGET: '10000000',
      SMS_COUNTRY_HOURLY_BUDGET: '10000000',
      REFRESH_REUSE_GRACE_SECONDS: String(SOAK_REFRESH_GRACE_SECONDS),
      ARGON2_MEMORY_KIB: '4096',
      ARGON2_TIME_COST: '1',
    });
    // No faults to inject here: the processes reach PostgreSQL and Redis directly, so the jest
    // process (which also runs the 200 clients and both sinks) does not relay all their traffic.
    const direct = { DATABASE_URL: deployment.resources.databaseUrl, REDIS_URL: TEST_REDIS_URL };
    // Workers log at info: ServiceProcess waits for their "worker started" line.
    apis = await Promise.all([0, 1].map(() => deployment.start('api', { ...direct, LOG_LEVEL: 'warn' })));
    workers = await Promise.all([0, 1].map(() => deployment.start('worker', direct)));
    sinks = new MessageSinks(smtp, twilio);
    http = new SoakHttp(
      apis.map((api) => api.port!),
      stats,
    );
  }, 120_000);

  afterAll(async () => {
    sinks?.close();
    http?.close();
    await deployment?.close();
    await Promise.all([smtp?.close(), twilio?.close()]);
  });

  let summary: Record<string, unknown> = {};

  const noticesNotQueued = () =>
    apis.flatMap((api) => api.jsonLogs()).filter((entry) => entry.msg === 'new sign-in notice not queued').length;

  beforeAll(
    async () => {
      const context: SoakContext = {
        http,
        sinks,
        ledger,
        phones: new PhoneNumbers(),
        runTag: randomBytes(4).toString('hex'),
        abandonAfter: Number.POSITIVE_INFINITY,
      };

      // Warm-up: JIT, pools and caches settle before the memory baseline.
      const warmupEnd = Date.now() + WARMUP_DEADLINE_MS;
      context.abandonAfter = warmupEnd;
      await Promise.all(
        Array.from({ length: WARMUP_CLIENTS }, (_, i) => {
          let started = false;
          return new SoakClient(context, 100_000 + i, SEED).run(() => {
            const stop = started || Date.now() > warmupEnd;
            started = true;
            return stop;
          });
        }),
      );
      for (const api of apis) memory.set(api.pid, { start: readProcessMemory(api.pid), samples: [] });
      const workersAtStart = workers.map((worker) => readProcessMemory(worker.pid));

      const requestsBefore = stats.requests;
      const started = performance.now();
      const deadline = Date.now() + SOAK_SECONDS * 1000;
      context.abandonAfter = deadline + GRACE_MS;
      const sampler = setInterval(() => {
        for (const api of apis) memory.get(api.pid)!.samples.push(readProcessMemory(api.pid).rssMb);
      }, MEMORY_SAMPLE_MS);
      try {
        await Promise.all(
          Array.from({ length: CLIENTS }, async (_, i) => {
            await sleep((RAMP_MS * i) / CLIENTS);
            await new SoakClient(context, i, SEED).run(() => Date.now() > deadline);
          }),
        );
      } finally {
        clearInterval(sampler);
      }
      const elapsedSeconds = (performance.now() - started) / 1000;
      for (const api of apis) memory.get(api.pid)!.end = readProcessMemory(api.pid);
      const workersAtEnd = workers.map((worker) => readProcessMemory(worker.pid));

      // Every message the API accepted has left the queue (sent, or a final failure) before counting.
      await eventually(
        'the delivery queue to drain',
        async () => {
          const pending = await deployment.query<DeliveryRow>(
            `select id, channel, purpose, status from delivery_message where status in ('queued', 'sending') limit 1`,
          );
          return pending.length === 0 || undefined;
        },
        { deadlineMs: DRAIN_DEADLINE_MS, intervalMs: 200, retryErrors: true },
      ).catch(() => undefined);
      deliveryRows = await deployment.query<DeliveryRow>(`select id, channel, purpose, status from delivery_message`);

      const soakRequests = stats.requests - requestsBefore;
      const received = sinks.all();
      summary = {
        seconds: SOAK_SECONDS,
        clients: CLIENTS,
        seed: SEED,
        requests: stats.requests,
        soakRequests,
        soakElapsedS: Math.round(elapsedSeconds),
        reqPerSec: Math.round((soakRequests / elapsedSeconds) * 10) / 10,
        serverErrors: stats.serverErrors.length,
        unexpectedAnswers: ledger.unexpected,
        flowsCompleted: ledger.flows.get('flow completed') ?? 0,
        flows: Object.fromEntries([...ledger.flows].sort(([a], [b]) => a.localeCompare(b))),
        p50Ms: Math.round(stats.quantile(0.5) * 10) / 10,
        p99Ms: Math.round(stats.quantile(0.99) * 10) / 10,
        statuses: Object.fromEntries(stats.byStatus),
        messages: {
          email: received.filter((message) => message.channel === 'email').length,
          sms: received.filter((message) => message.channel === 'sms').length,
          rows: deliveryRows.length,
        },
        rssMb: apis.map((api, i) => {
          const { start, end, samples } = memory.get(api.pid)!;
          return { api: i + 1, pid: api.pid, start: start.rssMb, end: end?.rssMb, hwm: end?.hwmMb, samples };
        }),
        workerRssMb: workers.map((worker, i) => ({
          worker: i + 1,
          start: workersAtStart[i].rssMb,
          end: workersAtEnd[i].rssMb,
          hwm: workersAtEnd[i].hwmMb,
        })),
      };
      console.log(`SOAK SUMMARY ${JSON.stringify(summary)}`);
    },
    SOAK_SECONDS * 1000 + 60_000,
  );

  it('should answer no request with a 5xx or a dropped connection', () => {
    expect(stats.requests).toBeGreaterThan(CLIENTS);
    const byRoute: Record<string, number> = {};
    for (const line of stats.serverErrors) {
      const route = line.split(' ').slice(1, 5).join(' ');
      byRoute[route] = (byRoute[route] ?? 0) + 1;
    }
    // With the first failures, what their process logged for that request id (5xx are logged with it).
    const logs = apis.flatMap((api) => api.jsonLogs());
    const first = stats.serverErrors.slice(0, 5).map((line) => {
      const requestId = line.split(' ').at(-1);
      const logged = logs.find((entry) => requestId !== undefined && entry.requestId === requestId);
      return logged ? `${line} | ${JSON.stringify(logged).slice(0, 400)}` : line;
    });
    const atSeconds = [
      ...new Set(stats.serverErrors.map((line) => Math.floor(Number(line.slice(2, line.indexOf('s ')))))),
    ];
    expect({ count: stats.serverErrors.length, byRoute, atSeconds, first }).toEqual({
      count: 0,
      byRoute: {},
      atSeconds: [],
      first: [],
    });
  });

  it('should deliver every code the API accepted to send, and no message twice', () => {
    // Flows that waited in vain for a code (each would be a lost or very late message).
    expect(ledger.lateDetails).toEqual([]);

    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const [destination, expected] of ledger.expectedCodes) {
      const codes = sinks.codesTo(destination).map((message) => message.code);
      if (codes.length < expected) lost.push(`${destination}: ${codes.length} of ${expected} codes`);
      if (codes.length > expected) duplicated.push(`${destination}: ${codes.length} codes for ${expected} sends`);
      // A legitimate resend carries a new code; the same code twice is one message sent twice.
      if (new Set(codes).size !== codes.length) duplicated.push(`${destination}: a code arrived twice`);
    }
    // A new sign-in notice is best effort: the sign-in succeeds even when queueing the notice
    // fails (logged "new sign-in notice not queued"); only a queued notice counts as accepted.
    let missingNotices = 0;
    for (const [email, expected] of ledger.expectedNotices) {
      const notices = sinks.newSignInNoticesTo(email).length;
      if (notices < expected) missingNotices += expected - notices;
      if (notices > expected) duplicated.push(`${email}: ${notices} new sign-in notices for ${expected}`);
    }
    if (missingNotices > noticesNotQueued()) {
      lost.push(`${missingNotices} new sign-in notices missing, ${noticesNotQueued()} reported not queued`);
    }
    const received = sinks.all();
    const unasked = received.filter(
      (message) =>
        (message.code !== null && !ledger.expectedCodes.has(message.to)) ||
        (message.code === null && !ledger.expectedNotices.has(message.to)),
    );
    expect({ lost: lost.slice(0, 20), duplicated: duplicated.slice(0, 20), unasked: unasked.length }).toEqual({
      lost: [],
      duplicated: [],
      unasked: 0,
    });

    // The server's own ledger: every delivery_message row sent, and received exactly once by id.
    const receivedIds = new Map<string, number>();
    for (const message of received) {
      const id = message.messageId ?? 'missing';
      receivedIds.set(id, (receivedIds.get(id) ?? 0) + 1);
    }
    const notSent = deliveryRows.filter((row) => row.status !== 'sent' && row.status !== 'delivered');
    const neverReceived = deliveryRows.filter((row) => !receivedIds.has(row.id));
    const receivedTwice = [...receivedIds].filter(([, times]) => times > 1).map(([id, times]) => `${id} x${times}`);
    const rowIds = new Set(deliveryRows.map((row) => row.id));
    const withoutRow = [...receivedIds.keys()].filter((id) => !rowIds.has(id));
    expect({
      notSent: notSent.slice(0, 20),
      neverReceived: neverReceived.slice(0, 20),
      receivedTwice: receivedTwice.slice(0, 20),
      withoutRow: withoutRow.slice(0, 20),
    }).toEqual({ notSent: [], neverReceived: [], receivedTwice: [], withoutRow: [] });
    expect(received).toHaveLength(deliveryRows.length);
  });

  it('should accept no code more than once and rotate no refresh token twice (a grace answer repeats its successor)', () => {
    expect(ledger.accepted.size).toBeGreaterThan(CLIENTS);
    expect(ledger.doubleUses().slice(0, 20)).toEqual([]);
    // Racing tabs and replays within the grace window did happen, and got the successor the token already had.
    expect(ledger.graceAnswers).toBeGreaterThan(0);
  });

  // 5xx answers are the first test's failures; this one is about every other answer.
  it('should refuse re-used codes and replayed refresh tokens with the API.md codes, and answer every step as API.md says', () => {
    const attacks = [
      'attack: re-used email code',
      'attack: re-used phone code',
      'attack: refresh replay after its successor was used',
      'attack: refresh replay after its grace',
      'refresh replay within its grace',
    ];
    for (const attack of attacks)
      expect({ attack, seen: (ledger.flows.get(attack) ?? 0) > 0 }).toEqual({ attack, seen: true });
    expect({ unexpected: ledger.unexpected, details: ledger.unexpectedDetails }).toEqual({
      unexpected: 0,
      details: [],
    });
  });

  it('should keep the resident memory of each API process bounded', () => {
    expect(memory.size).toBe(2);
    for (const [pid, { start, end = readProcessMemory(pid) }] of memory) {
      expect({ pid, endUnderCap: end.rssMb <= RSS_CAP_MB, rssMb: end.rssMb }).toEqual({
        pid,
        endUnderCap: true,
        rssMb: end.rssMb,
      });
      expect({
        pid,
        growthUnderCap: end.rssMb - start.rssMb <= RSS_GROWTH_CAP_MB,
        start: start.rssMb,
        end: end.rssMb,
      }).toEqual({ pid, growthUnderCap: true, start: start.rssMb, end: end.rssMb });
    }
  });
});
