import { randomBytes } from 'node:crypto';
import type { HttpClient, TestResponse } from '../support/http-client';
import { eventually } from '../support/eventually';
import type { ServiceProcess } from '../support/service-process';
import { SmtpTestServer } from '../support/smtp-test-server';
import { TcpProxy } from '../support/tcp-proxy';
import { Deployment, expectErrorShape, insertVerifiedUser, requireImplemented } from './deployment';

/**
 * RUNTIME.md: "Any number of API and worker processes can run against the same PostgreSQL
 * and Redis: nothing that decides a security outcome lives in one process's memory."
 */
describe('two API processes on the same PostgreSQL and Redis', () => {
  let deployment: Deployment;
  let first: ServiceProcess;
  let second: ServiceProcess;
  let a: HttpClient;
  let b: HttpClient;

  beforeAll(async () => {
    deployment = await Deployment.create();
    [first, second] = await Promise.all([deployment.start('api'), deployment.start('api')]);
    a = first.http();
    b = second.http();
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it('should refuse on the other process, on the very next request, a session revoked by logout on one', async () => {
    const user = await deployment.signIn(a);
    // Both processes have verified (and may have cached) this token.
    expect((await a.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
    expect((await b.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);

    expect((await a.post('/api/auth/logout', undefined, { token: user.accessToken })).status).toBe(204);

    expectErrorShape(await b.get('/api/auth/me', { token: user.accessToken }), 401, 'UNAUTHORIZED');
    expectErrorShape(await a.get('/api/auth/me', { token: user.accessToken }), 401, 'UNAUTHORIZED');
  });

  it('should refuse on the other process a session revoked remotely (DELETE /api/auth/sessions/:id) on one', async () => {
    const user = await deployment.signIn(a);
    const other = await deployment.signInAgain(b, user);
    expect((await b.get('/api/auth/me', { token: other.accessToken })).status).toBe(200);

    const revoke = await a.delete(`/api/auth/sessions/${other.sessionId}`, { token: user.accessToken });
    expect(revoke.status).toBe(204);

    expectErrorShape(await b.get('/api/auth/me', { token: other.accessToken }), 401, 'UNAUTHORIZED');
    expect((await b.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
  });

  it('should let a token signed by one process be accepted by the other (shared signing keys)', async () => {
    const user = await deployment.signIn(b);
    expect((await a.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
  });
});

/**
 * The same, with the delivery workers too and throttling on: two API processes and two
 * worker processes share one PostgreSQL and one Redis. One-time codes, rate limits and
 * message delivery must behave as if there were one process of each.
 */
describe('two API and two worker processes on the same PostgreSQL and Redis', () => {
  const AUTH_LIMIT = 4;
  const SENDS_PER_HOUR = 3;
  let smtp: SmtpTestServer;
  let smtpProxy: TcpProxy;
  let deployment: Deployment;
  let apis: ServiceProcess[];
  let workers: ServiceProcess[];
  let nextAddress = 0;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    // Each SMTP round trip takes 2 x 40 ms: a send is in flight long enough for the two
    // workers to overlap, as they would against a real mail server.
    smtpProxy = await TcpProxy.start({ host: '127.0.0.1', port: smtp.port });
    smtpProxy.latencyMs = 40;
    deployment = await Deployment.create({
      SMTP_URL: smtpProxy.rewrite(smtp.url),
      THROTTLE_ENABLED: 'true',
      THROTTLE_AUTH_LIMIT: String(AUTH_LIMIT),
      // The tests speak for many clients: each request names its client address in X-Forwarded-For.
      TRUST_PROXY: 'loopback',
      OTP_RESEND_COOLDOWN: '0',
      OTP_MAX_PER_HOUR: String(SENDS_PER_HOUR),
      DELIVERY_BACKOFF_MS: '200',
    });
    // Two at a time: four processes booting at once on two cores can miss their start deadline.
    apis = await Promise.all([deployment.start('api'), deployment.start('api')]);
    workers = await Promise.all([deployment.start('worker'), deployment.start('worker')]);
  });

  afterAll(async () => {
    await deployment?.close();
    await smtpProxy?.close();
    await smtp?.close();
  });

  /** A client address of its own (documentation ranges: only ever a header, never a peer). */
  function clientAddress(): string {
    const n = nextAddress++;
    return `${n < 256 ? '203.0.113' : '198.51.100'}.${n % 256}`;
  }

  /** Request `i` goes to API process `i % 2`, as a load balancer would spread them. */
  function api(i: number, address: string): HttpClient {
    return apis[i % 2].http({ 'x-forwarded-for': address });
  }

  function uniqueEmail(label: string): string {
    return `${label}-${randomBytes(5).toString('hex')}@example.com`;
  }

  function statusCodes(responses: TestResponse[]): Array<[number, string | undefined]> {
    return responses.map((response) => [response.status, response.body?.code]);
  }

  it('should accept a one-time code exactly once when 20 verifications race across both API processes', async () => {
    const email = uniqueEmail('race');
    const register = await api(0, clientAddress()).post('/api/auth/register', {
      email,
      password: `correct horse ${randomBytes(6).toString('hex')}`,
    });
    requireImplemented(register, 'POST /api/auth/register');
    expect(register.status).toBe(202);
    const code = await smtp.waitForCode(email);

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(i, clientAddress()).post('/api/auth/email/verify', { email, otp: code, client: 'native' }),
      ),
    );

    const accepted = responses.filter((response) => response.status === 200);
    expect(accepted).toHaveLength(1);
    expect(accepted[0].body.user.emailVerified).toBe(true);
    // API.md: a code already used is no live code, OTP_EXPIRED (not OTP_INVALID: it was the right code).
    for (const response of responses.filter((candidate) => candidate.status !== 200)) {
      expectErrorShape(response, 401, 'OTP_EXPIRED');
    }
    const [user] = await deployment.query<{ id: string }>(`select id from app_user where email = $1`, [email]);
    const events = (await deployment.auditEvents()).filter((event) => event.subject_id === user.id);
    const count = (type: string) => events.filter((event) => event.type === type).length;
    expect({
      verified: count('otp.verified'),
      emailVerified: count('email.verified'),
      sessions: count('session.created'),
    }).toEqual({ verified: 1, emailVerified: 1, sessions: 1 });
    // The losers found no live code: one otp.failed each (no user behind a used code, so no subject).
    const failures = (await deployment.auditEvents('otp.failed')).filter(
      (event) => event.data?.purpose === 'email_verify',
    );
    expect(failures.map((event) => event.data?.reason)).toEqual(Array.from({ length: 19 }, () => 'expired'));
    const sessions = await deployment.query(`select id from session where user_id = $1`, [user.id]);
    expect(sessions).toHaveLength(1);
  });

  it('should share the per-IP login budget (THROTTLE_AUTH_LIMIT) between the two API processes', async () => {
    const email = uniqueEmail('throttle');
    const password = `correct horse ${randomBytes(6).toString('hex')}`;
    await insertVerifiedUser(deployment.resources.databaseUrl, email, password);
    const address = clientAddress();

    const responses: TestResponse[] = [];
    // One after the other, alternating processes: each would allow AUTH_LIMIT on its own.
    for (let i = 0; i < AUTH_LIMIT * 2; i++) {
      responses.push(await api(i, address).post('/api/auth/login', { email, password, client: 'native' }));
    }

    expect(statusCodes(responses)).toEqual([
      ...Array.from({ length: AUTH_LIMIT }, () => [200, undefined]),
      ...Array.from({ length: AUTH_LIMIT }, () => [429, 'TOO_MANY_REQUESTS']),
    ]);
    expect(responses.slice(0, AUTH_LIMIT).map((response) => response.headers.get('ratelimit-remaining'))).toEqual(
      Array.from({ length: AUTH_LIMIT }, (_, i) => String(AUTH_LIMIT - 1 - i)),
    );
    for (const response of responses.slice(AUTH_LIMIT)) {
      expectErrorShape(response, 429, 'TOO_MANY_REQUESTS');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Another client address still has its own budget.
    const other = await api(1, clientAddress()).post('/api/auth/login', { email, password, client: 'native' });
    expect(other.status).toBe(200);
  });

  it('should share the per-destination send cap (OTP_MAX_PER_HOUR) between the two API processes', async () => {
    const email = uniqueEmail('send-cap');
    const password = `correct horse ${randomBytes(6).toString('hex')}`;
    const userId = await insertVerifiedUser(deployment.resources.databaseUrl, email, password);

    const responses: TestResponse[] = [];
    // Every request from another client address: only the destination's own cap can refuse them.
    for (let i = 0; i < SENDS_PER_HOUR + 2; i++) {
      responses.push(await api(i, clientAddress()).post('/api/auth/send-otp', { email }));
    }

    expect(statusCodes(responses)).toEqual([
      ...Array.from({ length: SENDS_PER_HOUR }, () => [202, undefined]),
      [429, 'TOO_MANY_REQUESTS'],
      [429, 'TOO_MANY_REQUESTS'],
    ]);
    const rows = await deployment.query(`select id from delivery_message where user_id = $1`, [userId]);
    expect(rows).toHaveLength(SENDS_PER_HOUR);
    await eventually('the codes to arrive', () => (smtp.mailsTo(email).length >= SENDS_PER_HOUR ? true : undefined), {
      deadlineMs: 10_000,
      retryErrors: true,
    });
    expect(smtp.mailsTo(email)).toHaveLength(SENDS_PER_HOUR);
  });

  it('should deliver exactly once each of the messages sent through either API process, with two workers', async () => {
    const emails = Array.from({ length: 12 }, () => uniqueEmail('fanout'));
    const userIds: string[] = [];
    for (const email of emails) {
      const password = `correct horse ${randomBytes(6).toString('hex')}`;
      userIds.push(await insertVerifiedUser(deployment.resources.databaseUrl, email, password));
    }
    const attemptsBefore = smtp.attempts;

    const sends = await Promise.all(
      emails.map((email, i) => api(i, clientAddress()).post('/api/auth/send-otp', { email })),
    );
    expect(sends.map((response) => response.status)).toEqual(emails.map(() => 202));

    const rows = await eventually(
      'every message to be sent',
      async () => {
        const found = await deployment.query<{ id: string; status: string; attempts: number }>(
          `select id, status, attempts from delivery_message where user_id = any($1)`,
          [userIds],
        );
        return found.filter((row) => row.status === 'sent').length === emails.length ? found : undefined;
      },
      { deadlineMs: 15_000, intervalMs: 100, retryErrors: true },
    );
    // A duplicate would come from a second worker taking a job already in hand: give it time to show.
    await new Promise((done) => setTimeout(done, 1000));

    for (const email of emails) expect(smtp.mailsTo(email)).toHaveLength(1);
    const messageIds = emails.map((email) => smtp.mailsTo(email)[0].headers['x-secureauth-message-id']);
    expect(new Set(messageIds).size).toBe(emails.length);
    expect(rows.map((row) => row.id).sort()).toEqual([...messageIds].sort());
    expect(rows.map((row) => [row.status, row.attempts])).toEqual(emails.map(() => ['sent', 1]));
    // Nothing else reached the mail server (no retried or repeated DATA).
    expect(smtp.attempts - attemptsBefore).toBe(emails.length);
    expect(workers.every((worker) => worker.isRunning)).toBe(true);
  });
});
