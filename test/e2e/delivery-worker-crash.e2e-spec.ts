import { MikroORM, RequestContext } from '@mikro-orm/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DELIVERY_QUEUE } from '../../src/modules/delivery/delivery.constants';
import { EntityManager } from '@mikro-orm/postgresql';
import { OtpService } from '../../src/modules/otp/otp.service';
import { DestinationHasher } from '../../src/modules/delivery/destination-hasher';
import { uniqueEmail } from '../support/otp-test-helpers';
import { eventually } from '../support/eventually';
import { extractCode, SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { TsWorkerProcess } from '../support/ts-worker-process';
import { createUser } from '../support/factories';

/**
 * A worker process killed with SIGKILL in the middle of an SMTP send: BullMQ's stalled-job
 * recovery hands the job to another worker process, which sends the SAME code once.
 */
describe('delivery worker crash (separate worker processes)', () => {
  let smtp: SmtpTestServer;
  let api: TestApp;
  const workers: TsWorkerProcess[] = [];

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    // The API alone: no processor in this process, so only the worker processes send.
    api = await startTestApp({ APP_ROLE: 'api', SMTP_URL: smtp.url, THROTTLE_AUTH_LIMIT: '1000' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await api.close();
    await smtp.close();
  });

  const workerEnv = () => ({
    DATABASE_URL: api.resources.databaseUrl,
    REDIS_PREFIX: api.resources.redisPrefix,
    SMTP_URL: smtp.url,
    DELIVERY_JOB_LOCK_MS: '2000',
    DELIVERY_BACKOFF_MS: '200',
  });

  it('should deliver the message exactly once, with the same code, after the sending worker is killed mid-send', async () => {
    const first = await TsWorkerProcess.start(workerEnv());
    workers.push(first);
    const email = uniqueEmail('crash');
    await createUser(api, { email });

    const hold = smtp.holdNext();
    expect((await api.http.post('/api/auth/send-otp', { email })).status).toBe(202);
    await hold.reached;
    await first.stop('SIGKILL');

    const second = await TsWorkerProcess.start(workerEnv());
    workers.push(second);
    const mail = await smtp.waitForMail(email, { deadlineMs: 30_000 });
    const hash = api.app.get(DestinationHasher).hash({ channel: 'email', address: email });
    const connection = api.app.get(EntityManager).fork().getConnection();
    const message = await eventually('the message to be sent', async () => {
      const [row] = await connection.execute<Array<{ status: string; attempts: number; payload: string | null }>>(
        `select status, attempts, payload from delivery_message where destination_hash = ?`,
        [hash],
      );
      return row?.status === 'sent' ? row : undefined;
    });
    expect(message.payload).toBeNull();
    // Claimed by the killed worker, then by the second one.
    expect(message.attempts).toBe(2);
    expect(smtp.mailsTo(email)).toHaveLength(1);
    // The interrupted attempt and the delivered mail carry the same code.
    expect(smtp.received.filter((raw) => raw.includes(mail.headers['x-secureauth-message-id']))).toHaveLength(2);
    expect(new Set(smtp.received.map((raw) => extractCode(raw))).size).toBe(1);

    const login = await api.http.post('/api/auth/verify-otp', { email, otp: extractCode(mail) });
    expect(login.status).toBe(200);
    hold.release();
  }, 90_000);

  it('should close a worker cleanly on SIGTERM', async () => {
    const worker = workers.find((candidate) => candidate.isRunning) ?? (await TsWorkerProcess.start(workerEnv()));
    if (!workers.includes(worker)) workers.push(worker);
    await worker.stop('SIGTERM');
    expect(worker.child.exitCode === 0 || worker.child.signalCode === 'SIGTERM').toBe(true);
  }, 30_000);

  it('should mark a message whose code expired while no worker ran as expired, and not send it', async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    const email = uniqueEmail('expired');
    const ctx = { requestId: 'test', ip: '127.0.0.1', userAgent: null, tenantId: 'default' };
    await RequestContext.create(api.app.get(MikroORM).em, () =>
      api.app.get(OtpService).issue({
        tenantId: 'default',
        purpose: 'email_verify',
        destination: { channel: 'email', address: email },
        ctx,
        ttlSeconds: 1,
      }),
    );
    const hash = api.app.get(DestinationHasher).hash({ channel: 'email', address: email });
    const connection = api.app.get(EntityManager).fork().getConnection();
    const rowOf = async () =>
      (
        await connection.execute<Array<{ status: string; payload: string | null; past: boolean }>>(
          `select status, payload, expires_at < now() as past from delivery_message where destination_hash = ?`,
          [hash],
        )
      )[0];
    await eventually('the code lifetime to pass', async () => ((await rowOf())?.past ? true : undefined), {
      deadlineMs: 5000,
      intervalMs: 100,
    });
    const worker = await TsWorkerProcess.start(workerEnv());
    workers.push(worker);
    const row = await eventually('the message to be expired', async () => {
      const current = await rowOf();
      return current?.status === 'expired' ? current : undefined;
    });
    expect(row.payload).toBeNull();
    expect(smtp.mailsTo(email)).toHaveLength(0);
  }, 60_000);

  it('should print the message, code included, in the log when SMTP_URL is unset (development)', async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    const worker = await TsWorkerProcess.start({ ...workerEnv(), SMTP_URL: undefined });
    workers.push(worker);
    const email = uniqueEmail('log-transport');
    await createUser(api, { email });
    expect((await api.http.post('/api/auth/send-otp', { email })).status).toBe(202);
    const line = await eventually('the log line of the message', () =>
      worker.jsonLogs().find((entry) => entry.to === email),
    );
    expect(line).toMatchObject({ level: 'info', channel: 'email' });
    expect(String(line.msg)).toContain('read the code');
    const code = /\b(\d{6})\b/.exec(String(line.message))?.[1];
    expect(code).toMatch(/^\d{6}$/);
    const login = await api.http.fork().post('/api/auth/verify-otp', { email, otp: code });
    expect(login.status).toBe(200);
  }, 60_000);

  it('should send, once and with its code, a message whose job was lost between its row and the queue (API crash)', async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    const email = uniqueEmail('stranded');
    await createUser(api, { email });
    expect((await api.http.post('/api/auth/send-otp', { email })).status).toBe(202);
    const hash = api.app.get(DestinationHasher).hash({ channel: 'email', address: email });
    const [row] = await api.app
      .get(EntityManager)
      .fork()
      .getConnection()
      .execute<Array<{ id: string }>>(`select id from delivery_message where destination_hash = ?`, [hash]);
    // What a crash right after the row committed leaves: the row `queued`, no job in Redis.
    const queue = api.app.get<Queue>(getQueueToken(DELIVERY_QUEUE));
    expect(await queue.remove(row.id)).toBe(1);

    const worker = await TsWorkerProcess.start({
      ...workerEnv(),
      DELIVERY_STRANDED_AFTER_MS: '500',
      DELIVERY_STRANDED_SWEEP_MS: '300',
    });
    workers.push(worker);
    const mail = await smtp.waitForMail(email, { deadlineMs: 15_000 });
    expect(mail.headers['x-secureauth-message-id']).toBe(row.id);
    const login = await api.http.fork().post('/api/auth/verify-otp', { email, otp: extractCode(mail) });
    expect(login.status).toBe(200);
    // Later sweeps find the row sent and leave it alone.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(smtp.mailsTo(email)).toHaveLength(1);
  }, 60_000);
});
