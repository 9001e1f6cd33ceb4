import { randomBytes } from 'node:crypto';
import { eventually } from '../support/eventually';
import type { ServiceProcess } from '../support/service-process';
import { SmtpTestServer } from '../support/smtp-test-server';
import { Deployment, requireImplemented } from './deployment';

/**
 * An API process SIGKILLed (OOM killer, node failure) while a registration is in flight.
 * POST /api/auth/register writes, in order: the pending registration (one statement), the
 * code and its cooldown in Redis, the message row and its `otp.sent` event (one statement),
 * the queue job. POST /api/auth/email/verify then turns the registration into the user: the
 * user row, its `user.registered` and `email.verified` events and the removal of the pending
 * registration, in one transaction. Whatever step the process dies at, no half-made account
 * may remain: no user row before its code is verified, none without its events or the other
 * way round, and registering the same email again on another process sends a code that
 * verifies and signs in.
 */
describe('API process killed mid-registration (built processes)', () => {
  const RESEND_COOLDOWN_S = 2;
  let smtp: SmtpTestServer;
  let deployment: Deployment;
  /** The next victim: the process that made the previous test's retry, so each test starts one process. */
  let spare: ServiceProcess;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    deployment = await Deployment.create({
      SMTP_URL: smtp.url,
      OTP_RESEND_COOLDOWN: String(RESEND_COOLDOWN_S),
      DELIVERY_BACKOFF_MS: '200',
    });
    [spare] = await Promise.all([deployment.start('api'), deployment.start('worker')]);
  });

  afterEach(() => deployment.clearFaults());

  afterAll(async () => {
    await deployment?.close();
    await smtp?.close();
  });

  interface Registration {
    email: string;
    password: string;
  }

  function newRegistration(): Registration {
    return {
      email: `kill-${randomBytes(5).toString('hex')}@example.com`,
      password: `correct horse ${randomBytes(6).toString('hex')}`,
    };
  }

  async function userOf(email: string): Promise<{ id: string } | undefined> {
    const [user] = await deployment.query<{ id: string }>(`select id from app_user where email = $1`, [email]);
    return user;
  }

  async function pendingOf(email: string): Promise<{ id: string } | undefined> {
    const [pending] = await deployment.query<{ id: string }>(`select id from pending_registration where email = $1`, [
      email,
    ]);
    return pending;
  }

  /** Sends the registration to the spare process and SIGKILLs it the moment `killPoint` holds. */
  function registerAndKill(registration: Registration, killPoint: () => Promise<boolean>): Promise<void> {
    return sendAndKill('/api/auth/register', registration, killPoint);
  }

  /** Sends `body` to `path` on the spare process and SIGKILLs it the moment `killPoint` holds. */
  async function sendAndKill(path: string, body: object, killPoint: () => Promise<boolean>): Promise<void> {
    if (!spare.isRunning) spare = await deployment.start('api');
    const victim = spare;
    const request = victim
      .http()
      .post(path, body)
      .then(
        (response) => response,
        (error: unknown) => error,
      );
    await eventually('the kill point', async () => ((await killPoint()) ? true : undefined), {
      deadlineMs: 10_000,
      intervalMs: 5,
      retryErrors: true,
    });
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The client saw the connection die, not an answer.
    expect(await request).not.toHaveProperty('status');
    await deployment.clearFaults();
    // PostgreSQL has noticed the dead connection and rolled back what it had not committed.
    await eventually(
      'the dead process to leave PostgreSQL',
      async () => {
        const [row] = await deployment.query<{ open: number }>(
          `select count(*)::int as open from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
        );
        return row.open === 0 ? true : undefined;
      },
      { retryErrors: true },
    );
  }

  /**
   * Before its code is verified a registration is no user at all; and no `user.registered` or
   * `email.verified` event exists without its user row.
   */
  async function expectNoHalfMadeUser(email: string): Promise<void> {
    expect(await userOf(email)).toBeUndefined();
    const orphans = await deployment.query<{ type: string }>(
      `select e.type from audit_event e where e.type in ('user.registered', 'email.verified')
          and not exists (select 1 from app_user u where u.id = e.subject_id)`,
    );
    expect(orphans).toEqual([]);
  }

  /** Registers again on a fresh process, verifies and logs in. */
  async function retryToTheEnd(registration: Registration): Promise<void> {
    const api = await deployment.start('api');
    // Fresh for this retry; the victim of the next test.
    spare = api;
    // A code stored just before the kill holds its destination's cooldown (RESEND_COOLDOWN_S): a retry
    // inside it is answered 202 without a send, as for any resend too early.
    await eventually(
      'the cooldown of a code stored before the kill to pass',
      async () => ((await deployment.redisKeys('otp:*:cooldown')).length === 0 ? true : undefined),
      { deadlineMs: (RESEND_COOLDOWN_S + 2) * 1000, intervalMs: 100, retryErrors: true },
    );
    const http = api.http();
    const mailsBefore = smtp.mailsTo(registration.email).length;
    const register = await http.post('/api/auth/register', registration);
    requireImplemented(register, 'POST /api/auth/register');
    expect(register.status).toBe(202);
    const code = await smtp.waitForCode(registration.email, { skip: mailsBefore, deadlineMs: 10_000 });

    const verify = await http.post('/api/auth/email/verify', {
      email: registration.email,
      otp: code,
      client: 'native',
    });
    expect(verify.status).toBe(200);
    expect(verify.body.user.emailVerified).toBe(true);
    const login = await http.post('/api/auth/login', { ...registration, client: 'native' });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(verify.body.user.id);

    // One account, under its registration's id, one registration event, one verification; every
    // message row (the ones sent before the kill included) has its otp.sent event.
    const user = await userOf(registration.email);
    expect(user?.id).toBe(verify.body.user.id);
    expect(await pendingOf(registration.email)).toBeUndefined();
    const events = (await deployment.auditEvents()).filter((event) => event.subject_id === user?.id);
    const count = (type: string) => events.filter((event) => event.type === type).length;
    const messages = await deployment.query<{ id: string }>(`select id from delivery_message where user_id = $1`, [
      user?.id,
    ]);
    expect({ registered: count('user.registered'), verified: count('email.verified') }).toEqual({
      registered: 1,
      verified: 1,
    });
    expect(
      events
        .filter((event) => event.type === 'otp.sent')
        .map((event) => event.data?.messageId)
        .sort(),
    ).toEqual(messages.map((message) => message.id).sort());
  }

  it('should leave no user when killed inside the activation transaction, and a retry should work', async () => {
    const registration = newRegistration();
    if (!spare.isRunning) spare = await deployment.start('api');
    const mailsBefore = smtp.mailsTo(registration.email).length;
    expect((await spare.http().post('/api/auth/register', registration)).status).toBe(202);
    const code = await smtp.waitForCode(registration.email, { skip: mailsBefore, deadlineMs: 10_000 });
    const pending = await pendingOf(registration.email);
    // Every PostgreSQL round trip takes 2 x 150 ms: the transaction is caught open after one of its
    // events (written after the user row), before its commit.
    deployment.postgresProxy.latencyMs = 150;
    await sendAndKill('/api/auth/email/verify', { email: registration.email, otp: code }, async () => {
      const [row] = await deployment.query<{ open: number }>(
        `select count(*)::int as open from pg_stat_activity
          where datname = current_database() and state like 'idle in transaction%' and query ilike '%audit_event%'`,
      );
      return row.open > 0;
    });

    await expectNoHalfMadeUser(registration.email);
    // Rolled back whole: the registration still waits, under the same id.
    expect(await pendingOf(registration.email)).toEqual(pending);
    await retryToTheEnd(registration);
  });

  it('should leave a registration that a retry completes when killed after it committed, before its code', async () => {
    const registration = newRegistration();
    // Redis slow: the code is issued well after the registration commits.
    deployment.redisProxy.latencyMs = 300;
    await registerAndKill(registration, async () => (await pendingOf(registration.email)) !== undefined);

    await expectNoHalfMadeUser(registration.email);
    await retryToTheEnd(registration);
  });

  it('should let a retry send a new code when killed after the code was stored, before its message row', async () => {
    const registration = newRegistration();
    // The code is stored half a round trip before the process hears so: that half is the window.
    deployment.redisProxy.latencyMs = 500;
    await registerAndKill(
      registration,
      async () => (await deployment.redisKeys('otp:*:email_verify:*:code')).length > 0,
    );

    await expectNoHalfMadeUser(registration.email);
    const pending = await pendingOf(registration.email);
    expect(await deployment.query(`select id from delivery_message where user_id = $1`, [pending?.id])).toEqual([]);
    await retryToTheEnd(registration);
  });

  it('should let a retry send a new code when killed after the message row, before its queue job', async () => {
    const registration = newRegistration();
    deployment.postgresProxy.latencyMs = 200;
    await registerAndKill(registration, async () => {
      const rows = await deployment.query(
        `select m.id from delivery_message m join pending_registration p on p.id = m.user_id where p.email = $1`,
        [registration.email],
      );
      return rows.length > 0;
    });

    await expectNoHalfMadeUser(registration.email);
    // The kill point was reached: the row (and its otp.sent event, same statement) committed, no job was queued.
    const orphans = await deployment.query<{ id: string; status: string }>(
      `select m.id, m.status from delivery_message m join pending_registration p on p.id = m.user_id where p.email = $1`,
      [registration.email],
    );
    expect(orphans.map((row) => row.status)).toEqual(['queued']);
    expect((await deployment.redisKeys(`bull:*:${orphans[0].id}`)).length).toBe(0);
    await retryToTheEnd(registration);
  });
});
