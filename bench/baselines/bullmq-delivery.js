'use strict';

/**
 * Baseline for scenario 5: a bare BullMQ queue and worker in one process delivering jobs to
 * the same Twilio-format sink as the service (form POST, HTTP Basic), with the service's
 * worker concurrency. The driver sends {numbers, rate} over IPC: rate 0 means enqueue as
 * fast as ENQUEUE_CONCURRENCY allows, otherwise open loop at `rate` jobs/s. The reply lists
 * the enqueue time of each number (ms since epoch) so the driver can match sink arrivals.
 *
 * env: REDIS_URL, REDIS_PREFIX, SINK_URL, WORKER_CONCURRENCY (20), ENQUEUE_CONCURRENCY (50)
 */
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const now = () => performance.timeOrigin + performance.now();

async function main() {
  const connection = () => new IORedis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `${process.env.REDIS_PREFIX}bq`;
  const sink = process.env.SINK_URL;
  const sid = 'ACbaseline';
  const auth = `Basic ${Buffer.from(`${sid}:secret`).toString('base64')}`;
  const queue = new Queue('otp-baseline', { connection: connection(), prefix });
  const worker = new Worker(
    'otp-baseline',
    async (job) => {
      const form = new URLSearchParams({ To: job.data.to, From: '+15005550006', Body: job.data.body });
      const response = await fetch(`${sink}/2010-04-01/Accounts/${sid}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: auth,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`sink answered ${response.status}`);
      return body.sid;
    },
    { connection: connection(), prefix, concurrency: Number(process.env.WORKER_CONCURRENCY ?? 20) },
  );
  await worker.waitUntilReady();
  await queue.waitUntilReady();

  const enqueue = (to) =>
    queue.add(
      'deliver',
      { to, body: `Your code is ${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}` },
      { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 },
    );

  process.on('message', async ({ numbers, rate }) => {
    const sentAt = {};
    if (!rate) {
      let next = 0;
      const lanes = Array.from({ length: Number(process.env.ENQUEUE_CONCURRENCY ?? 50) }, async () => {
        while (next < numbers.length) {
          const to = numbers[next++];
          sentAt[to] = now();
          await enqueue(to);
        }
      });
      await Promise.all(lanes);
    } else {
      const start = now();
      const pending = [];
      for (let i = 0; i < numbers.length; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        sentAt[numbers[i]] = now();
        pending.push(enqueue(numbers[i]));
      }
      await Promise.all(pending);
    }
    process.send({ sentAt });
  });
  process.on('SIGTERM', async () => {
    await worker.close();
    await queue.close();
    process.exit(0);
  });
  process.send({ ready: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
