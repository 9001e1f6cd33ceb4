import { randomBytes } from 'node:crypto';
import type { HttpClient } from '../support/http-client';
import { eventually } from '../support/eventually';
import type { ServiceProcess } from '../support/service-process';
import { extractCode, SmtpTestServer } from '../support/smtp-test-server';
import { Deployment, insertVerifiedUser } from './deployment';

/**
 * A rolling deploy sends SIGTERM to a worker process that has a message in flight (the mail
 * server is slow to answer). The worker either finishes that send within SHUTDOWN_GRACE_MS
 * or leaves the job to be handed to another worker; either way the message is delivered
 * exactly once, with its one code, and the worker exits 0.
 */
describe('worker SIGTERM mid-send (built processes)', () => {
  const GRACE_MS = 1500;
  const LOCK_MS = 2000;
  let smtp: SmtpTestServer;
  let deployment: Deployment;
  let http: HttpClient;
  /** The only worker running between tests: the next message lands on it. */
  let idle: ServiceProcess;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    deployment = await Deployment.create({
      SMTP_URL: smtp.url,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      // A job whose worker is gone is taken over after LOCK_MS (stalled-job recovery).
      DELIVERY_JOB_LOCK_MS: String(LOCK_MS),
      DELIVERY_BACKOFF_MS: '200',
    });
    const [api, worker] = await Promise.all([deployment.start('api'), deployment.start('worker')]);
    http = api.http();
    idle = worker;
  });

  afterAll(async () => {
    await deployment?.close();
    await smtp?.close();
  });

  /** A code for a new account is in the hands of `worker`, whose SMTP DATA is held unanswered. */
  async function messageHeldBy(worker: ServiceProcess) {
    const email = `handoff-${randomBytes(5).toString('hex')}@example.com`;
    const userId = await insertVerifiedUser(deployment.resources.databaseUrl, email, `correct horse ${email}`);
    const hold = smtp.holdNext();
    expect((await http.post('/api/auth/send-otp', { email })).status).toBe(202);
    await hold.reached;
    expect(worker.isRunning).toBe(true);
    return { email, userId, hold };
  }

  async function messageRow(userId: string) {
    const [row] = await deployment.query<{ id: string; status: string; attempts: number }>(
      `select id, status, attempts from delivery_message where user_id = $1`,
      [userId],
    );
    return row;
  }

  async function expectSignInWith(email: string, code: string): Promise<void> {
    const login = await http.post('/api/auth/verify-otp', { email, otp: code, client: 'native' });
    expect(login.status).toBe(200);
  }

  it('should finish a send that completes within the grace period, deliver it once, and exit 0', async () => {
    const first = idle;
    const { email, userId, hold } = await messageHeldBy(first);
    // A second worker is ready to take over anything handed back.
    const second = await deployment.start('worker');
    idle = second;
    const receivedBefore = smtp.received.length;

    first.child.kill('SIGTERM');
    // The mail server answers well within SHUTDOWN_GRACE_MS.
    setTimeout(hold.release, GRACE_MS / 3);

    expect(await first.stop('SIGTERM', GRACE_MS + 8000)).toEqual({ code: 0, signal: null });
    const mail = await smtp.waitForMail(email);
    expect(await messageRow(userId)).toMatchObject({ status: 'sent', attempts: 1 });
    // Past the lock: a job wrongly left behind would have been taken over and sent again by now.
    await new Promise((done) => setTimeout(done, LOCK_MS + 1000));
    expect(smtp.mailsTo(email)).toHaveLength(1);
    expect(smtp.received.length).toBe(receivedBefore);
    expect(await messageRow(userId)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(second.isRunning).toBe(true);
    await expectSignInWith(email, extractCode(mail));
  });

  it('should hand back a send still unanswered at the end of the grace period, exit 0, and let another worker deliver it once', async () => {
    const first = idle;
    const { email, userId } = await messageHeldBy(first);
    const messageId = (await messageRow(userId)).id;
    const second = await deployment.start('worker');

    // The held DATA is never answered: the first worker must give the job up to exit.
    const stopping = Date.now();
    expect(await first.stop('SIGTERM', GRACE_MS + 8000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(GRACE_MS + 2000);

    const mail = await smtp.waitForMail(email, { deadlineMs: LOCK_MS * 3 + 5000 });
    const row = await eventually(
      'the row to be sent',
      async () => {
        const current = await messageRow(userId);
        return current.status === 'sent' ? current : undefined;
      },
      { retryErrors: true },
    );
    // Claimed by the stopped worker, then by the second one.
    expect(row.attempts).toBe(2);
    await new Promise((done) => setTimeout(done, 1000));
    expect(smtp.mailsTo(email)).toHaveLength(1);
    // The interrupted attempt and the delivered mail carry the same message and the same code.
    const attempts = smtp.received.filter((raw) => raw.includes(messageId));
    expect(attempts).toHaveLength(2);
    expect(new Set(attempts.map((raw) => extractCode(raw)))).toEqual(new Set([extractCode(mail)]));
    await expectSignInWith(email, extractCode(mail));
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
