import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSentinelSet } from '../support/redis-sentinel-set';
import { SmtpTestServer } from '../support/smtp-test-server';
import { Deployment, type SignedInUser } from './deployment';

/**
 * Redis behind Sentinel, its master SIGKILLed (a crashed host): Sentinel promotes the replica
 * and the service finds it by itself. Sessions, a code waiting in Redis and a message waiting
 * in the queue all survive; in between, requests get 503, never a 401, a 500 or a pass.
 */
describe('Redis master killed behind Sentinel (built processes)', () => {
  let sentinels: RedisSentinelSet;
  let smtp: SmtpTestServer;
  let deployment: Deployment;

  beforeAll(async () => {
    [sentinels, smtp] = await Promise.all([RedisSentinelSet.start(), SmtpTestServer.start()]);
    deployment = await Deployment.create({ ...sentinels.env, SMTP_URL: smtp.url, DELIVERY_BACKOFF_MS: '200' });
  });

  afterAll(async () => {
    await deployment?.close();
    await smtp?.close();
    await sentinels?.stop();
  });

  it('should keep sessions, codes and queued messages, answering only 503 while Sentinel promotes the replica', async () => {
    const api = await deployment.start('api');
    const users: SignedInUser[] = [];
    for (let i = 0; i < 3; i++) users.push(await deployment.signIn(api.http()));
    // A registration whose code is in Redis and whose email waits in the queue: no worker runs yet.
    const registration = {
      email: `failover-${randomBytes(5).toString('hex')}@example.com`,
      password: 'correct horse battery staple',
    };
    expect((await api.http().post('/api/auth/register', registration)).status).toBe(202);
    await sentinels.waitForReplica();

    const killedAt = Date.now();
    sentinels.killMaster();
    let promoted = false;
    const promotion = sentinels.waitForPromotion().then(() => (promoted = true));

    const statuses = new Map<number, number>();
    let recoveredAfterMs: number | undefined;
    while (recoveredAfterMs === undefined && Date.now() - killedAt < 30_000) {
      const answers = await Promise.all(
        users.map((user) => api.http().get('/api/auth/me', { token: user.accessToken })),
      );
      for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (promoted && answers.every(({ status }) => status === 200)) recoveredAfterMs = Date.now() - killedAt;
      else await sleep(50);
    }
    await promotion;
    console.log(
      `Sentinel failover: /me answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `every session answered again ${recoveredAfterMs} ms after the kill`,
    );
    expect(recoveredAfterMs).toBeDefined();
    for (const status of statuses.keys()) expect([200, 503]).toContain(status);

    // The queued message goes out once a worker runs (against the new master), and its code verifies.
    await deployment.start('worker');
    const code = await smtp.waitForCode(registration.email, { deadlineMs: 15_000 });
    const verify = await api.http().post('/api/auth/email/verify', { email: registration.email, otp: code });
    expect(verify.status).toBe(200);
    // Every session is the one signed in before the failover: nothing was signed in again.
    for (const user of users) {
      const me = await api.http().get('/api/auth/me', { token: user.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(user.email);
    }
  });
});
