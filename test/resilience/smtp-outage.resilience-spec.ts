import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { HttpClient } from '../support/http-client';
import { waitFor } from '../support/service-process';
import { SmtpTestServer } from '../support/smtp-test-server';
import { TcpProxy } from '../support/tcp-proxy';
import { Deployment, requireImplemented } from './deployment';

/**
 * RUNTIME.md: SMTP connection failures are temporary; the worker retries with backoff and
 * "the whole retry window fits inside the code's lifetime". A mail server that is down for
 * a while must delay the code, never lose it.
 */
describe('SMTP outage (built API and worker processes)', () => {
  let smtp: SmtpTestServer;
  let smtpProxy: TcpProxy;
  let deployment: Deployment;
  let http: HttpClient;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    smtpProxy = await TcpProxy.start({ host: '127.0.0.1', port: smtp.port });
    deployment = await Deployment.create({
      SMTP_URL: smtpProxy.rewrite(smtp.url),
      DELIVERY_BACKOFF_MS: '200',
      DELIVERY_ATTEMPTS: '10',
      OTP_TTL: '300',
    });
    const [api] = await Promise.all([deployment.start('api'), deployment.start('worker')]);
    http = api.http();
  });

  afterAll(async () => {
    await deployment?.close();
    await smtpProxy?.close();
    await smtp?.close();
  });

  async function deliveryAttempts(): Promise<number> {
    const client = new Client({ connectionString: deployment.resources.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ attempts: number | null }>(
        `select max(attempts)::int as attempts from delivery_message where channel = 'email'`,
      );
      return rows[0]?.attempts ?? 0;
    } finally {
      await client.end();
    }
  }

  it('should deliver a verification code sent while the mail server was unreachable once it returns, and the code should work', async () => {
    const email = `smtp-outage-${randomBytes(5).toString('hex')}@example.com`;
    const password = `correct horse ${randomBytes(6).toString('hex')}`;
    await smtpProxy.cut();

    const register = await http.post('/api/auth/register', { email, password });
    requireImplemented(register, 'POST /api/auth/register');
    expect(register.status).toBe(202);
    // The worker has met the outage (and retried) before the mail server comes back.
    await waitFor('two failed delivery attempts', async () => ((await deliveryAttempts()) >= 2 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
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
