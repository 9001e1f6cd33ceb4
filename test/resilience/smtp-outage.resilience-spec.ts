import { randomBytes } from 'node:crypto';
import type { HttpClient } from '../support/http-client';
import { eventually } from '../support/eventually';
import { SmtpTestServer } from '../support/smtp-test-server';
import { TcpProxy } from '../support/tcp-proxy';
import { Deployment, insertVerifiedUser, requireImplemented } from './deployment';

/** An API and a worker whose mail server sits behind a proxy the test can cut. */
async function deploymentWithCuttableSmtp(env: Record<string, string>) {
  const smtp = await SmtpTestServer.start();
  const smtpProxy = await TcpProxy.start({ host: '127.0.0.1', port: smtp.port });
  const deployment = await Deployment.create({
    SMTP_URL: smtpProxy.rewrite(smtp.url),
    DELIVERY_BACKOFF_MS: '200',
    ...env,
  });
  const [api] = await Promise.all([deployment.start('api'), deployment.start('worker')]);
  return {
    smtp,
    smtpProxy,
    deployment,
    http: api.http(),
    async close() {
      await deployment.close();
      await smtpProxy.close();
      await smtp.close();
    },
  };
}

type SmtpSetup = Awaited<ReturnType<typeof deploymentWithCuttableSmtp>>;

/**
 * RUNTIME.md: SMTP connection failures are temporary; the worker retries with backoff and
 * "the whole retry window fits inside the code's lifetime". A mail server that is down for
 * a while must delay the code, never lose it.
 */
describe('SMTP outage (built API and worker processes)', () => {
  let setup: SmtpSetup;
  let smtp: SmtpTestServer;
  let smtpProxy: TcpProxy;
  let http: HttpClient;

  beforeAll(async () => {
    setup = await deploymentWithCuttableSmtp({ DELIVERY_ATTEMPTS: '10', OTP_TTL: '300' });
    ({ smtp, smtpProxy, http } = setup);
  });

  afterAll(() => setup?.close());

  async function deliveryAttempts(): Promise<number> {
    const [row] = await setup.deployment.query<{ attempts: number | null }>(
      `select max(attempts)::int as attempts from delivery_message where channel = 'email'`,
    );
    return row?.attempts ?? 0;
  }

  it('should deliver a verification code sent while the mail server was unreachable once it returns, and the code should work', async () => {
    const email = `smtp-outage-${randomBytes(5).toString('hex')}@example.com`;
    const password = `correct horse ${randomBytes(6).toString('hex')}`;
    await smtpProxy.cut();

    const register = await http.post('/api/auth/register', { email, password });
    requireImplemented(register, 'POST /api/auth/register');
    expect(register.status).toBe(202);
    // The worker has met the outage (and retried) before the mail server comes back.
    await eventually('two failed delivery attempts', async () => ((await deliveryAttempts()) >= 2 ? true : undefined), {
      deadlineMs: 10_000,
      intervalMs: 100,
      retryErrors: true,
    });
    expect(smtp.mailsTo(email)).toEqual([]);

    await smtpProxy.restore();
    const code = await smtp.waitForCode(email, { deadlineMs: 15_000 });

    const verify = await http.post('/api/auth/email/verify', { email, otp: code, client: 'native' });
    requireImplemented(verify, 'POST /api/auth/email/verify');
    expect(verify.status).toBe(200);
    expect(verify.body.user.emailVerified).toBe(true);
    expect(smtp.mailsTo(email)).toHaveLength(1);
  });
});

/**
 * A mail server down for longer than the code lives: the retries stop at the code's
 * lifetime, and the message ends `expired` or `failed` where admins look for it
 * (GET /api/admin/delivery/messages), never stuck in `queued`/`sending` nor silently gone.
 */
describe('SMTP outage longer than the code lifetime (built API and worker processes)', () => {
  const OTP_TTL_S = 3;
  let setup: SmtpSetup;
  let smtp: SmtpTestServer;
  let smtpProxy: TcpProxy;
  let deployment: Deployment;
  let http: HttpClient;

  beforeAll(async () => {
    setup = await deploymentWithCuttableSmtp({ OTP_TTL: String(OTP_TTL_S), DELIVERY_ATTEMPTS: '20' });
    ({ smtp, smtpProxy, deployment, http } = setup);
  });

  afterAll(() => setup?.close());

  it('should end the message expired or failed, visible to an admin, and never send the dead code', async () => {
    const admin = await deployment.signIn(http, { roles: ['support'] });
    const email = `smtp-down-${randomBytes(5).toString('hex')}@example.com`;
    const userId = await insertVerifiedUser(deployment.resources.databaseUrl, email, `correct horse ${email}`);
    await smtpProxy.cut();

    expect((await http.post('/api/auth/send-otp', { email })).status).toBe(202);
    const [{ id: messageId }] = await deployment.query<{ id: string }>(
      `select id from delivery_message where user_id = $1`,
      [userId],
    );
    const started = Date.now();
    const item = await eventually(
      'the message to reach a final state in the admin list',
      async () => {
        const page = await http.get('/api/admin/delivery/messages?limit=100', { token: admin.accessToken });
        expect(page.status).toBe(200);
        const found = (page.body.items as Array<Record<string, unknown>>).find((entry) => entry.id === messageId);
        return found && ['expired', 'failed'].includes(String(found.status)) ? found : undefined;
      },
      { deadlineMs: (OTP_TTL_S + 10) * 1000, intervalMs: 200, retryErrors: true },
    );
    const elapsed = Date.now() - started;

    expect(item).toMatchObject({ channel: 'email', purpose: 'login', destination: expect.not.stringContaining(email) });
    expect(Number(item.attempts)).toBeGreaterThanOrEqual(2);
    expect(String(item.lastError)).not.toBe('');
    // The retries gave up around the code's lifetime, not after DELIVERY_ATTEMPTS full backoffs.
    expect(elapsed).toBeLessThan((OTP_TTL_S + 5) * 1000);
    // The same row filtered by its status, as an admin would look for lost codes.
    const filtered = await http.get(`/api/admin/delivery/messages?status=${String(item.status)}`, {
      token: admin.accessToken,
    });
    expect((filtered.body.items as Array<{ id: string }>).map((entry) => entry.id)).toContain(messageId);
    if (item.status === 'failed') {
      const failures = await deployment.auditEvents('delivery.failed');
      expect(failures.map((event) => event.data?.messageId)).toContain(messageId);
    }

    // The mail server returns: the dead code is not sent late, and its encrypted content is gone.
    await smtpProxy.restore();
    await new Promise((done) => setTimeout(done, 1500));
    expect(smtp.mailsTo(email)).toEqual([]);
    const [row] = await deployment.query<{ status: string; payload: string | null }>(
      `select status, payload from delivery_message where id = $1`,
      [messageId],
    );
    expect(row).toEqual({ status: item.status, payload: null });
  });
});
