'use strict';

/**
 * Baseline for scenario 2: raw argon2.verify at the service's own parameters (argon2id,
 * m=19456 KiB, t=2, p=1), CONCURRENCY verifications in flight in one process (the service
 * is one process too), for DURATION_MS. Prints one JSON line: {ops, seconds, perSecond, p50, p99}.
 *
 * env: CONCURRENCY (8), DURATION_MS (10000), PASSWORD, HASH (optional; made here otherwise)
 */
const argon2 = require('argon2');

const PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

async function main() {
  const concurrency = Number(process.env.CONCURRENCY ?? 8);
  const durationMs = Number(process.env.DURATION_MS ?? 10_000);
  const password = process.env.PASSWORD ?? 'bench-correct-horse-battery';
  const hash = process.env.HASH || (await argon2.hash(password, PARAMS));
  // warm the thread pool and the code paths
  await Promise.all(Array.from({ length: concurrency }, () => argon2.verify(hash, password)));

  const latencies = [];
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await argon2.verify(hash, password);
        if (!ok) throw new Error('verify returned false');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  process.stdout.write(
    JSON.stringify({
      ops: latencies.length,
      seconds,
      perSecond: latencies.length / seconds,
      p50: pct(50),
      p99: pct(99),
    }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
