'use strict';

/**
 * Baseline for scenario 4: per call, the primitives a refresh-token rotation cannot avoid:
 * one conditional UPDATE in PostgreSQL (old hash -> new hash, fails if already rotated),
 * one Redis write (the live-session index) and one ES256 signature (the new access token).
 * CONCURRENCY loops in one process for DURATION_MS; prints {ops, seconds, perSecond, p50, p99}.
 *
 * env: DATABASE_URL, REDIS_URL, REDIS_PREFIX, CONCURRENCY (20), DURATION_MS (10000), POOL_MAX (10)
 */
const { createHash, randomBytes, randomUUID } = require('node:crypto');
const { Pool } = require('pg');
const Redis = require('ioredis');
const { SignJWT, generateKeyPair } = require('jose');

const sha256 = (value) => createHash('sha256').update(value).digest('hex');

async function main() {
  const concurrency = Number(process.env.CONCURRENCY ?? 20);
  const durationMs = Number(process.env.DURATION_MS ?? 10_000);
  const db = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 10) });
  const redis = new Redis(process.env.REDIS_URL, { keyPrefix: process.env.REDIS_PREFIX });
  const { privateKey } = await generateKeyPair('ES256');
  const kid = randomUUID();

  await db.query(
    'create table if not exists bench_refresh_baseline (id int primary key, token_hash varchar(64) not null, rotated_at timestamptz not null)',
  );
  const current = [];
  for (let id = 0; id < concurrency; id++) {
    const token = randomBytes(32).toString('base64url');
    current[id] = token;
    await db.query(
      'insert into bench_refresh_baseline (id, token_hash, rotated_at) values ($1, $2, now()) on conflict (id) do update set token_hash = excluded.token_hash',
      [id, sha256(token)],
    );
  }

  const rotate = async (id) => {
    const next = randomBytes(32).toString('base64url');
    const updated = await db.query(
      'update bench_refresh_baseline set token_hash = $1, rotated_at = now() where id = $2 and token_hash = $3',
      [sha256(next), id, sha256(current[id])],
    );
    if (updated.rowCount !== 1) throw new Error('rotation lost a race it cannot lose');
    current[id] = next;
    await redis.set(`base:live:${id}`, String(Date.now()), 'EX', 604_800);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid: String(id), tid: 'default', roles: ['user'], amr: ['pwd'], aal: 1, auth_time: now })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
      .setIssuer('secureauth')
      .setAudience('secureauth')
      .setSubject(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .setJti(randomUUID())
      .sign(privateKey);
  };

  for (let id = 0; id < concurrency; id++) await rotate(id); // warm-up

  const latencies = [];
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, id) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await rotate(id);
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
  await db.end();
  redis.disconnect();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
