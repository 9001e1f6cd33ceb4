'use strict';

/**
 * Scenario 8's data at scale: seeds users, devices, sessions, rotated refresh tokens (SQL,
 * `insert … select … from generate_series`) and the matching live-session records in Redis
 * (SET … PX in batches of 5,000), measures what they take in PostgreSQL and Redis, and EXPLAINs the hot
 * lookups on the large tables.
 *
 * Every seeded id and time is a pure function of the row number, computed the same way in SQL
 * and here (seedUuid, sessionTimes), so the Redis records are built without reading 1M rows
 * back and say exactly what the rows say.
 */
const { createHash } = require('node:crypto');
const { Client } = require('pg');
const Redis = require('ioredis');

/**
 * THE key of a live-session record, without the service's REDIS_PREFIX (ioredis' keyPrefix adds
 * it). Mirrors `sessionKey` in src/modules/sessions/live-session.store.ts: keep the two in step
 * (the scenario checks a real login's record against it and warns when they differ).
 */
const liveSessionKey = (sessionId) => `sess:{${sessionId}}`;

/** Service defaults (src/config/auth.config.ts); the bench's --env may override them. */
const DEFAULT_REFRESH_TTL = 2_592_000; // REFRESH_TOKEN_TTL, 30 days
const DEFAULT_IDLE_TTL = 604_800; // SESSION_IDLE_TTL, 7 days

/** Rows per INSERT statement (progress and bounded transactions). */
const SQL_CHUNK = 250_000;
/**
 * Live records per Redis call, two calls in flight (the next batch is built while Redis runs the
 * last). One script call per batch, not a pipeline of SETs: ioredis spends ~3× longer building
 * and answering 5,000 commands than Redis spends running them (measured: 100k records 1.2–2.5 s
 * against 4.4–6.7 s). A batch holds Redis for a few ms. Single-node only (keys of many slots).
 */
const REDIS_BATCH = 5_000;
const REDIS_IN_FLIGHT = 2;
const SET_MANY = `for i = 1, #KEYS do redis.call('set', KEYS[i], ARGV[2 * i - 1], 'PX', ARGV[2 * i]) end
return #KEYS`;

/** What sign-ins leave on a device row and in its live record: [name, platform, user agent]. */
const DEVICE_KINDS = [
  [
    'Chrome on macOS',
    'macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  ],
  [
    'Mobile Safari on iOS',
    'iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ],
  ['Firefox on Windows', 'Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'],
  [
    'Chrome on Android',
    'Android',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  ],
];
const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Katherine', 'Linus', 'Margaret', 'Edsger', 'Barbara'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Johnson', 'Torvalds', 'Hamilton', 'Dijkstra', 'Liskov'];

const sqlArray = (values) => `array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}]`;

/** A v4-shaped UUID from md5(tag || n), as `seedUuidSql` computes it in PostgreSQL. */
function seedUuid(tag, n) {
  const h = createHash('md5').update(`${tag}${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
}
const seedUuidSql = (tag, expr) =>
  `overlay(overlay(md5('${tag}' || ${expr}) placing '4' from 13) placing '8' from 17)::uuid`;

/**
 * Session k's times in Unix seconds, spread so every one is live for hours after the seed:
 * age < 0.9 × REFRESH_TOKEN_TTL, last use < 0.9 × SESSION_IDLE_TTL ago (and after creation).
 * Multiplicative hashing keeps them reproducible (k × 2.7e9 < 2^53 for k ≤ 3M: exact in JS).
 */
function sessionTimes(k, now, { refreshTtl, idleTtl }) {
  const ageSpan = Math.floor((refreshTtl * 9) / 10);
  const idleSpan = Math.floor((idleTtl * 9) / 10);
  const age = (k * 2654435761) % ageSpan;
  const sinceSeen = Math.min(age, (k * 2246822519) % idleSpan);
  const created = now - age;
  const lastSeen = now - sinceSeen;
  const expires = created + refreshTtl;
  return { created, lastSeen, expires, idleExpires: Math.min(expires, lastSeen + idleTtl) };
}
/** The same in SQL over the column/expression `k`; $now, $refresh, $idle are parameter numbers. */
function sessionTimesSql(k, now, refresh, idle) {
  const age = `((${k})::bigint * 2654435761 % (${refresh} * 9 / 10))`;
  const sinceSeen = `least(${age}, (${k})::bigint * 2246822519 % (${idle} * 9 / 10))`;
  return {
    created: `to_timestamp(${now} - ${age})`,
    lastSeen: `to_timestamp(${now} - ${sinceSeen})`,
    expires: `to_timestamp(${now} - ${age} + ${refresh})`,
    idleExpires: `to_timestamp(least(${now} - ${age} + ${refresh}, ${now} - ${sinceSeen} + ${idle}))`,
  };
}
/** Rotations session k went through: 0, 1, 1, 2 (a quarter fresh, half refreshed once, a quarter twice). */
const rotationsSql = (k) => `(array[0, 1, 1, 2])[(${k}) % 4 + 1]`;

const RELATIONS = ['app_user', 'device', 'session', 'refresh_token'];

async function relationSizes(db) {
  const { rows } = await db.query(
    `select c.relname as name, pg_total_relation_size(c.oid)::bigint as total, pg_relation_size(c.oid)::bigint as heap
       from pg_class c where c.relname = any($1) and c.relkind = 'r'
        and c.relnamespace = 'public'::regnamespace`,
    [RELATIONS],
  );
  return Object.fromEntries(rows.map((r) => [r.name, { total: Number(r.total), heap: Number(r.heap) }]));
}

async function counts(db) {
  const { rows } = await db.query(
    `select (select count(*) from app_user) as users,
            (select count(*) from session where revoked_at is null and expires_at > now() and idle_expires_at > now()) as live,
            (select count(*) from session) as sessions,
            (select count(*) from refresh_token) as refresh_tokens,
            (select count(*) from device) as devices`,
  );
  return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
}

const usedMemory = async (redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);

/**
 * Seeds up to `users` users in total (bench-<g>@bench.test, g after the `smallUsers` already
 * there) and up to `sessions` live sessions in total: one per new user (more only when there are
 * more sessions than new users), each with its user's device as a sign-in writes it, 0–2 rotated
 * refresh tokens, and its live record in Redis with the service's TTL.
 */
async function seedScale({ databaseUrl, redisUrl, redisPrefix, hash, users, sessions, smallUsers, env = {}, log }) {
  const lifetimes = {
    refreshTtl: Number(env.REFRESH_TOKEN_TTL ?? DEFAULT_REFRESH_TTL),
    idleTtl: Number(env.SESSION_IDLE_TTL ?? DEFAULT_IDLE_TTL),
  };
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const redis = new Redis(redisUrl, { keyPrefix: redisPrefix, maxRetriesPerRequest: 3 });
  // INFO and MEMORY USAGE on a client without keyPrefix (the key is spelt out whole)
  const raw = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  redis.defineCommand('seedLiveSessions', { lua: SET_MANY }); // keys get the keyPrefix
  const result = { target: { users, sessions }, lifetimes, seconds: {} };
  try {
    await db.query(`set synchronous_commit = off; set work_mem = '64MB'; set maintenance_work_mem = '256MB'`);
    const before = { counts: await counts(db), sizes: await relationSizes(db) };
    result.before = before;
    const firstNew = smallUsers + 1;
    const lastNew = Math.max(smallUsers, users - before.counts.users + smallUsers);
    const newUsers = lastNew - smallUsers;
    const newSessions = Math.max(0, sessions - before.counts.live);
    const now = Math.floor(Date.now() / 1000);
    // session k (1..newSessions) belongs to new user g = firstNew + (k - 1) % newUsers
    const userOf = (k) => firstNew + ((k - 1) % newUsers);
    const withSessions = Math.min(newUsers, newSessions);
    const chunks = (from, to, fn) => {
      const out = [];
      for (let a = from; a <= to; a += SQL_CHUNK) out.push([a, Math.min(to, a + SQL_CHUNK - 1)]);
      return out.reduce(
        (p, [a, b]) =>
          p.then(async () => {
            await fn(a, b);
            log(`    … ${b - from + 1}/${to - from + 1}`);
          }),
        Promise.resolve(),
      );
    };

    // --- users: the shared argon2id hash, verified email, half with a verified phone, names
    let t = performance.now();
    log(`  seeding ${newUsers} users (${firstNew}..${lastNew})`);
    await chunks(firstNew, lastNew, (a, b) =>
      db.query(
        `insert into app_user (id, tenant_id, email, email_verified_at, phone, phone_verified_at, password_hash,
                               first_name, last_name, created_at, updated_at)
         select ${seedUuidSql('u', 'g')}, 'default', 'bench-' || g || '@bench.test', c, p, case when p is null then null else c end,
                $1, (${sqlArray(FIRST_NAMES)})[g % 8 + 1], (${sqlArray(LAST_NAMES)})[g / 8 % 8 + 1], c, c
           from (select g, to_timestamp($4::bigint - ($5::bigint - g) * 30) as c,
                        case when g % 2 = 0 then '+1555' || lpad(g::text, 7, '0') end as p
                   from generate_series($2::int, $3::int) g) s`,
        [hash, a, b, now, lastNew],
      ),
    );
    result.seconds.users = (performance.now() - t) / 1000;

    // --- devices (one per user with a session), sessions, rotated refresh tokens
    t = performance.now();
    const times = sessionTimesSql('k', '$3::bigint', '$4::bigint', '$5::bigint');
    log(`  seeding ${withSessions} devices, ${newSessions} sessions and their rotated refresh tokens`);
    const kinds = DEVICE_KINDS.length;
    await chunks(1, withSessions, (a, b) =>
      db.query(
        `insert into device (id, tenant_id, user_id, device_key, name, platform, user_agent, first_seen_at, last_seen_at,
                             last_ip, is_trusted)
         select ${seedUuidSql('d', 'g')}, 'default', ${seedUuidSql('u', 'g')},
                encode(sha256(('dk:' || g)::bytea), 'hex'),
                (${sqlArray(DEVICE_KINDS.map((d) => d[0]))})[g % ${kinds} + 1],
                (${sqlArray(DEVICE_KINDS.map((d) => d[1]))})[g % ${kinds} + 1],
                (${sqlArray(DEVICE_KINDS.map((d) => d[2]))})[g % ${kinds} + 1],
                ${times.created}, ${times.lastSeen}, '198.51.100.' || (k % 250 + 1), false
           from (select k, $6::int + (k - 1) as g from generate_series($1::int, $2::int) k) s`,
        [a, b, now, lifetimes.refreshTtl, lifetimes.idleTtl, firstNew],
      ),
    );
    await chunks(1, newSessions, (a, b) =>
      db.query(
        `insert into session (id, tenant_id, user_id, device_id, token_hash, amr, aal, auth_time, ip, user_agent,
                              created_at, last_seen_at, expires_at, idle_expires_at, previous_token_hash, rotated_at,
                              sealed_successor)
         select ${seedUuidSql('s', 'k')}, 'default', ${seedUuidSql('u', 'g')}, ${seedUuidSql('d', 'g')},
                encode(sha256(('cur:' || k)::bytea), 'hex'), '{pwd}', 1, ${times.created},
                '198.51.100.' || (k % 250 + 1), (${sqlArray(DEVICE_KINDS.map((d) => d[2]))})[g % ${kinds} + 1],
                ${times.created}, ${times.lastSeen}, ${times.expires}, ${times.idleExpires},
                case when r > 0 then encode(sha256(('rt:' || k || ':' || r)::bytea), 'hex') end,
                case when r > 0 then ${times.lastSeen} end,
                -- iv ‖ tag ‖ sealed token: 12 + 16 + 80 bytes, as refresh-successor.ts seals one
                case when r > 0 then substring(sha256(('a' || k)::bytea) || sha256(('b' || k)::bytea)
                     || sha256(('c' || k)::bytea) || sha256(('d' || k)::bytea) from 1 for 108) end
           from (select k, $6::int + (k - 1) % $7::int as g, ${rotationsSql('k')} as r
                   from generate_series($1::int, $2::int) k) s`,
        [a, b, now, lifetimes.refreshTtl, lifetimes.idleTtl, firstNew, newUsers],
      ),
    );
    await chunks(1, newSessions, (a, b) =>
      db.query(
        `insert into refresh_token (token_hash, session_id, rotated_at)
         select encode(sha256(('rt:' || k || ':' || j)::bytea), 'hex'), ${seedUuidSql('s', 'k')},
                ${times.created} + (${times.lastSeen} - ${times.created}) * j / r
           from (select k, ${rotationsSql('k')} as r from generate_series($1::int, $2::int) k) s,
                generate_series(1, r) j`,
        [a, b, now, lifetimes.refreshTtl, lifetimes.idleTtl],
      ),
    );
    result.seconds.sessions = (performance.now() - t) / 1000;

    t = performance.now();
    await db.query(`analyze ${RELATIONS.join(', ')}`);
    result.seconds.analyze = (performance.now() - t) / 1000;
    result.after = { counts: await counts(db), sizes: await relationSizes(db) };

    // The records below are computed here, not read back: check a few against their rows.
    for (const k of [1, Math.ceil(newSessions / 2), newSessions]) {
      const tm = sessionTimes(k, now, lifetimes);
      const g = userOf(k);
      const { rows } = await db.query(
        `select s.user_id, s.device_id, d.name, extract(epoch from s.created_at)::bigint as created,
                extract(epoch from s.last_seen_at)::bigint as last_seen, extract(epoch from s.idle_expires_at)::bigint as idle
           from session s join device d on d.id = s.device_id join app_user u on u.id = s.user_id where s.id = $1`,
        [seedUuid('s', k)],
      );
      const row = rows[0];
      const expected = [
        seedUuid('u', g),
        seedUuid('d', g),
        DEVICE_KINDS[g % kinds][0],
        tm.created,
        tm.lastSeen,
        tm.idleExpires,
      ];
      const actual = row && [
        row.user_id,
        row.device_id,
        row.name,
        Number(row.created),
        Number(row.last_seen),
        Number(row.idle),
      ];
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        throw new Error(
          `seeded session ${k}: row ${JSON.stringify(actual)} but records would say ${JSON.stringify(expected)}`,
        );
    }

    // --- the live records, as LiveSessionPublisher builds them
    t = performance.now();
    const memoryBefore = await usedMemory(raw);
    let valueBytes = 0;
    let written = 0;
    const iso = (s) => new Date(s * 1000).toISOString();
    const batches = [];
    for (let a = 1; a <= newSessions; a += REDIS_BATCH) batches.push([a, Math.min(newSessions, a + REDIS_BATCH - 1)]);
    let nextBatch = 0;
    const writer = async () => {
      while (nextBatch < batches.length) {
        const [a, b] = batches[nextBatch++];
        const keys = [];
        const args = [];
        const nowMs = Date.now();
        for (let k = a; k <= b; k++) {
          const g = userOf(k);
          const kind = DEVICE_KINDS[g % kinds];
          const tm = sessionTimes(k, now, lifetimes);
          const sessionId = seedUuid('s', k);
          const deviceId = seedUuid('d', g);
          const value = JSON.stringify({
            sessionId,
            userId: seedUuid('u', g),
            tenantId: 'default',
            roles: ['user'],
            amr: ['pwd'],
            aal: 1,
            authTime: tm.created,
            deviceId,
            device: { id: deviceId, name: kind[0], platform: kind[1] },
            createdAt: iso(tm.created),
            lastSeenAt: iso(tm.lastSeen),
            expiresAt: iso(tm.expires),
            idleExpiresAt: iso(tm.idleExpires),
          });
          valueBytes += Buffer.byteLength(value);
          keys.push(liveSessionKey(sessionId));
          args.push(value, Math.min(tm.idleExpires, tm.expires) * 1000 - nowMs);
        }
        await redis.seedLiveSessions(keys.length, ...keys, ...args);
        written += b - a + 1;
        if (written % 250_000 < REDIS_BATCH) log(`    … ${written}/${newSessions} live records`);
      }
    };
    log(`  writing ${newSessions} live records to Redis (batches of ${REDIS_BATCH})`);
    await Promise.all(Array.from({ length: REDIS_IN_FLIGHT }, writer));
    result.seconds.redis = (performance.now() - t) / 1000;
    const memoryAfter = await usedMemory(raw);

    // MEMORY USAGE of a few records spread over the range (SAMPLES 0: the whole value)
    const samples = [];
    for (let i = 0; i < 9; i++) {
      const k = 1 + Math.floor(((i + 0.5) * newSessions) / 9);
      samples.push(
        Number(await raw.call('MEMORY', 'USAGE', `${redisPrefix}${liveSessionKey(seedUuid('s', k))}`, 'SAMPLES', '0')),
      );
    }
    samples.sort((x, y) => x - y);

    const delta = (name) => result.after.sizes[name].total - before.sizes[name].total;
    result.added = {
      users: result.after.counts.users - before.counts.users,
      sessions: result.after.counts.sessions - before.counts.sessions,
      live: result.after.counts.live - before.counts.live,
      refreshTokens: result.after.counts.refresh_tokens - before.counts.refresh_tokens,
      devices: result.after.counts.devices - before.counts.devices,
      liveRecords: written,
    };
    result.redis = {
      usedMemoryBefore: memoryBefore,
      usedMemoryAfter: memoryAfter,
      bytesPerLiveSession: (memoryAfter - memoryBefore) / written,
      memoryUsageSample: { median: samples[4], min: samples[0], max: samples[samples.length - 1] },
      valueBytesMean: valueBytes / written,
    };
    result.postgres = {
      bytesPerUser: delta('app_user') / result.added.users,
      bytesPerSession: (delta('session') + delta('refresh_token')) / result.added.sessions,
      sessionTableBytesPerSession: delta('session') / result.added.sessions,
      refreshTokenBytesPerRow: delta('refresh_token') / result.added.refreshTokens,
      deviceBytesPerDevice: delta('device') / result.added.devices,
    };
    result.userOf = { firstNew, lastNew };
    result.sampleSessionId = seedUuid('s', 1);
    return result;
  } finally {
    await db.end();
    redis.disconnect();
    raw.disconnect();
  }
}

/**
 * Gives these users the device a bench sign-in comes from (no User-Agent, no device input: the
 * fingerprint of DevicesService's deviceKeyOf, `fp:<user agent>|<platform>`), as if they had
 * signed in from it before. Both sides of scenario 8 then measure the usual sign-in, from a
 * known device, whatever ran earlier; a first sign-in also writes a device.new event and runs the
 * device cap.
 */
async function rememberBenchDevice(databaseUrl, emails) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rowCount } = await db.query(
      `insert into device (id, tenant_id, user_id, device_key, name, first_seen_at, last_seen_at, is_trusted)
       select gen_random_uuid(), u.tenant_id, u.id, $2, 'Unknown device', now(), now(), false
         from app_user u where u.tenant_id = 'default' and u.email = any($1)
       on conflict (tenant_id, user_id, device_key) do nothing`,
      [emails, createHash('sha256').update('fp:|').digest('hex')],
    );
    return rowCount;
  } finally {
    await db.end();
  }
}

/** `count` emails of seeded users spread evenly over [first, last], shifted by `offset` (0..1). */
function spreadEmails(count, first, last, offset = 0.5) {
  const span = last - first + 1;
  return Array.from(
    { length: count },
    (_, i) => `bench-${first + Math.min(span - 1, Math.floor(((i + offset) * span) / count))}@bench.test`,
  );
}

/** The plan of one statement: node types and indexes, whether anything scanned a table whole. */
function summarisePlan(plan) {
  const nodes = [];
  const walk = (node) => {
    const name = [node['Node Type'], node['Index Name'] ?? node['Relation Name']].filter(Boolean).join(' ');
    nodes.push(name);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  return {
    nodes,
    seqScan: nodes.filter((n) => n.startsWith('Seq Scan')),
    executionMs: plan['Execution Time'],
    planningMs: plan['Planning Time'],
  };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the lookups a login and a refresh make, on the seeded data, in a
 * transaction rolled back (the rotation writes). The statements are copies of the service's:
 * UsersService.findByEmail (MikroORM's findOne), DevicesService.recordSignIn's upsert,
 * SessionRepository.revokeLeastRecentlyUsed's selection, SessionRepository.rotate (without
 * its audit row) and whyNotRotated's replay check.
 */
async function explainHotPaths(databaseUrl, { email }) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const explain = async (sql, params) => {
    const { rows } = await db.query(`explain (analyze, buffers, format json) ${sql}`, params);
    const plan = rows[0]['QUERY PLAN'][0];
    return { ...summarisePlan(plan), plan };
  };
  try {
    await db.query('begin');
    const out = {};
    out.loginUserLookup = await explain(
      `select "u0".* from "app_user" as "u0" where "u0"."tenant_id" = $1 and "u0"."email" = $2 limit 1`,
      ['default', email],
    );
    const { rows: users } = await db.query(`select id from app_user where tenant_id = 'default' and email = $1`, [
      email,
    ]);
    const userId = users[0]?.id;
    out.loginDeviceUpsert = await explain(
      `insert into "device" ("id", "tenant_id", "user_id", "device_key", "name", "first_seen_at", "last_seen_at", "is_trusted")
       values (gen_random_uuid(), $1, $2, $3, 'x', now(), now(), false)
       on conflict ("tenant_id", "user_id", "device_key") do update set "last_seen_at" = excluded."last_seen_at"
       returning *, (xmax = 0) as "inserted"`,
      ['default', userId, 'f'.repeat(64)],
    );
    out.loginSessionCap = await explain(
      `select "id" from "session"
        where "tenant_id" = $1 and "user_id" = $2 and "revoked_at" is null and "expires_at" > now() and "idle_expires_at" > now()
        order by "last_seen_at" desc, "created_at" desc, "id" desc offset 50`,
      ['default', userId],
    );
    const { rows: live } = await db.query(
      `select id, tenant_id, token_hash from session where user_id = $1 and revoked_at is null limit 1`,
      [userId],
    );
    const s = live[0];
    if (s) {
      out.refreshRotate = await explain(
        `with rotated as (
           update "session" s
              set "token_hash" = $1, "previous_token_hash" = s."token_hash", "rotated_at" = now(), "sealed_successor" = null,
                  "last_seen_at" = now(), "idle_expires_at" = least(s."expires_at", now() + interval '7 days')
            where s."id" = $2 and s."tenant_id" = $3 and s."token_hash" = $4 and s."revoked_at" is null
              and s."expires_at" > now() and s."idle_expires_at" > now()
              and exists (select 1 from "app_user" u
                           where u."id" = s."user_id" and u."tenant_id" = s."tenant_id" and u."status" = 'active')
            returning s.*
         ),
         retired as (insert into "refresh_token" ("token_hash", "session_id", "rotated_at") select $4, r."id", now() from rotated r)
         select r."id", u."email", d."name" from rotated r
           join "app_user" u on u."id" = r."user_id"
           left join "device" d on d."id" = r."device_id"`,
        ['e'.repeat(64), s.id, s.tenant_id, s.token_hash],
      );
      out.refreshReplayCheck = await explain(
        `select exists (select 1 from "refresh_token" where "token_hash" = $1 and "session_id" = $2) as "reused"`,
        [s.token_hash, s.id],
      );
    }
    return out;
  } finally {
    await db.query('rollback').catch(() => {});
    await db.end();
  }
}

module.exports = {
  liveSessionKey,
  seedScale,
  rememberBenchDevice,
  spreadEmails,
  explainHotPaths,
  seedUuid,
  sessionTimes,
};
