#!/usr/bin/env node
'use strict';

/**
 * SecureAuth benchmark: `npm run bench [-- --quick] [-- --profile]`. See bench/README.md.
 *
 * Builds the service, starts it in production mode against its own PostgreSQL database and
 * Redis prefix, starts the baselines beside it, drives load with autocannon from this
 * process (never the service's), and prints one table. Every figure is a ratio against a
 * baseline measured in the same invocation, alternating service / baseline rounds.
 */
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const argon2 = require('argon2');
const { Client } = require('pg');
const Redis = require('ioredis');
const { cannon, bearerRequests, loginRequests, refreshRequests } = require('./lib/load');
const { authorize, oidcRefreshRequests, registerBenchClient } = require('./lib/oidc');
const { phoneSequence } = require('./lib/phones');
const { summariseProfile, summariseByOwner } = require('./lib/profile');
const {
  ROOT,
  snapshotDist,
  serviceEnv,
  build,
  prepareDatabase,
  dropDatabase,
  deleteRedisKeys,
  startService,
} = require('./lib/service');
const { startSinks } = require('./lib/sinks');
const { liveSessionKey, seedScale, rememberBenchDevice, spreadEmails, explainHotPaths } = require('./lib/scale');
const { freePort, median, percentile, pool, request, round, sleep } = require('./lib/util');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    only: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    scale: { type: 'boolean', default: false },
    'scale-users': { type: 'string' },
    'scale-sessions': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

if (flags.help) {
  console.log(`usage: npm run bench [-- --quick] [--profile] [--no-build] [--rounds N] [--seconds S] [--only 1,2,5]
  --quick     a few seconds per scenario, 1 round (CI: keeps the bench from rotting)
  --profile   run the service under --cpu-prof; profiles in bench/results/profiles, top self-time printed
  --no-build  use the existing dist/ (development of the bench itself)
  --rounds N  service/baseline rounds per scenario (median; default 3, quick 1)
  --seconds S seconds per load run (default 10, quick 3)
  --only L    comma list of scenarios to run (6 always reports)
  --scale     also run scenario 8 (data at scale: a second service on 1M users + 1M live sessions,
              ~8 min more); --only 8 runs it alone. --scale-users N / --scale-sessions N change the totals
  --env K=V   extra environment for the service (repeatable), to try a tuning, e.g.
              --env MALLOC_ARENA_MAX=2 --env NODE_OPTIONS=--max-old-space-size=160; shown with the results`);
  process.exit(0);
}

const QUICK = flags.quick;
const ROUNDS = Number(flags.rounds ?? (QUICK ? 1 : 3));
const SECONDS = Number(flags.seconds ?? (QUICK ? 3 : 10));
const WARMUP_SECONDS = QUICK ? 1 : 2;
const ONLY = flags.only ? new Set(flags.only.split(',').map((s) => s.trim())) : null;
const wanted = (n) => !ONLY || ONLY.has(String(n));
/** Scenario 8 seeds a million rows and Redis records: only on request (--scale, or --only with 8). */
const SCALE = flags.scale || (ONLY?.has('8') ?? false);
const SCALE_USERS = Number(flags['scale-users'] ?? 1_000_000);
const SCALE_SESSIONS = Number(flags['scale-sessions'] ?? SCALE_USERS);
const SCALE_TARGET = 0.9;

const PASSWORD = 'bench-correct-horse-battery-staple';
const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const USERS = QUICK ? 300 : 1000;
const ME_TOKENS = QUICK ? 50 : 100;
const ME_CONNECTIONS = 50;
const LOGIN_CONCURRENCY = 8;
const REFRESH_CONCURRENCY = 20;
const OTP_FLOOD = QUICK ? 300 : 5000;
const OTP_PACED = QUICK ? 300 : 1000;
const OTP_RATE = 200;
const OTP_SEND_CONCURRENCY = 50;
/** An answer that is not 2xx in more than this share of a run makes the verdict ERROR. */
const MAX_ERROR_SHARE = 0.01;

const started = Date.now();
const log = (message) =>
  console.error(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const loadAvg = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

const rows = [];
const details = {};
/** A scenario threw (not a verdict): the bench exits 1 so CI notices that it rotted. */
let harnessBroke = false;
const cleanups = [];

function addRow(row) {
  rows.push(row);
}

const fmt = (value, unit = '', digits = 1) =>
  value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(digits)}${unit}`;

/** A verdict from a boolean, or ERROR when the service's answers were not clean. */
function verdict(ok, problem) {
  if (problem) return `ERROR (${problem})`;
  return ok ? 'PASS' : 'FAIL';
}

function runProblem(runs) {
  for (const run of runs) {
    const bad = run.non2xx + run.errors;
    if (run.total === 0) return 'no answers';
    if (bad / run.total > MAX_ERROR_SHARE) {
      const codes = Object.keys(run.statusCodes ?? {}).join('/');
      return `${bad}/${run.total} failed, status ${codes || 'none'}`;
    }
  }
  return undefined;
}

function skip(scenario, figure, reason) {
  addRow({ scenario, figure, baseline: '—', ratio: '—', target: '—', verdict: `SKIP (${reason})` });
}

// ---------------------------------------------------------------------------------------
// setup helpers

function decodeJwt(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

async function seedUsers(databaseUrl) {
  const hash = await argon2.hash(PASSWORD, ARGON2_PARAMS);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // One hash for everyone: verifying it costs the same as distinct ones, and seeding stays instant.
    await db.query(
      `insert into app_user (id, tenant_id, email, email_verified_at, password_hash, created_at, updated_at)
       select gen_random_uuid(), 'default', 'bench-' || g || '@bench.test', now(), $1, now(), now()
       from generate_series(1, $2) g`,
      [hash, USERS],
    );
  } finally {
    await db.end();
  }
  return { hash, emails: Array.from({ length: USERS }, (_, i) => `bench-${i + 1}@bench.test`) };
}

async function login(base, email) {
  const res = await request(`${base}/api/auth/login`, {
    method: 'POST',
    body: { email, password: PASSWORD, client: 'native' },
  });
  if (res.status !== 200 || !res.json?.accessToken) {
    const error = new Error(`login ${email}: ${res.status} ${res.text.slice(0, 300)}`);
    error.status = res.status;
    throw error;
  }
  return res.json;
}

/** Logs users in round robin (8 at a time) and returns their AuthResults. */
let loginCursor = 0;
async function logins(base, emails, count) {
  return pool(count, LOGIN_CONCURRENCY, () => login(base, emails[loginCursor++ % emails.length]));
}

function forkBaseline(file, env) {
  const child = fork(path.join(__dirname, 'baselines', file), [], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanups.unshift(() => child.exitCode === null && child.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`baseline ${file} exited with ${code}`)));
  });
}

/** Runs a baseline script that prints one JSON line and exits. */
function runBaselineScript(file, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'baselines', file)], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`baseline ${file} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (error) {
        reject(error);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------
// scenarios

async function scenarioMe(ctx) {
  const { service, env, tokens } = ctx;
  const port = await freePort();
  const baselineServer = await forkBaseline('me-server.js', {
    PORT: String(port),
    REDIS_URL: env.REDIS_URL,
    REDIS_PREFIX: `${env.REDIS_PREFIX}base:`,
    JWKS_URL: `${service.base}/.well-known/jwks.json`,
  });
  // The baseline's live-session index: one key per session, as the service keeps one.
  const redis = new Redis(env.REDIS_URL, { keyPrefix: `${env.REDIS_PREFIX}base:` });
  for (const token of tokens) await redis.set(`live:${decodeJwt(token).sid}`, '1', 'EX', 3600);
  redis.disconnect();

  const me = meLoad(service, tokens);
  const svc = () => me(SECONDS);
  const base = () =>
    cannon({
      url: `http://127.0.0.1:${port}/me`,
      connections: ME_CONNECTIONS,
      seconds: SECONDS,
      requests: bearerRequests(tokens),
    });

  await me(WARMUP_SECONDS);
  await cannon({
    url: `http://127.0.0.1:${port}/me`,
    connections: ME_CONNECTIONS,
    seconds: WARMUP_SECONDS,
    requests: bearerRequests(tokens),
  });
  const a = [];
  const b = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await svc());
    b.push(await base());
    log(
      `  /me round ${i + 1}: service ${a[i].rps.toFixed(0)} req/s p99 ${a[i].p99} ms | baseline ${b[i].rps.toFixed(0)} req/s p99 ${b[i].p99} ms`,
    );
  }
  baselineServer.kill('SIGTERM');
  const problem = runProblem(a) ?? (runProblem(b) ? `baseline: ${runProblem(b)}` : undefined);
  const rps = median(a.map((r) => r.rps));
  const baseRps = median(b.map((r) => r.rps));
  const p99 = median(a.map((r) => r.p99));
  const baseP99 = median(b.map((r) => r.p99));
  addRow({
    scenario: '1 GET /api/auth/me, 50 conn',
    figure: `${fmt(rps, '', 0)} req/s`,
    baseline: `${fmt(baseRps, '', 0)} req/s`,
    ratio: `${fmt(rps / baseRps, '×', 2)}`,
    target: '≥ 1.00×',
    verdict: verdict(rps >= baseRps, problem),
  });
  addRow({
    scenario: '1 GET /api/auth/me p99',
    figure: `${fmt(p99, ' ms')}`,
    baseline: `${fmt(baseP99, ' ms')}`,
    ratio: `${fmt(p99 / baseP99, '×', 2)}`,
    target: '≤ baseline p99',
    verdict: verdict(p99 <= baseP99, problem),
  });
  details.me = { service: a, baseline: b };
  return { soloP99: a.map((r) => r.p99) };
}

async function scenarioLogin(ctx) {
  const { service, emails, hash } = ctx;
  const svc = loginLoad(service, emails);
  const base = () =>
    runBaselineScript('argon2-verify.js', {
      CONCURRENCY: String(LOGIN_CONCURRENCY),
      DURATION_MS: String(SECONDS * 1000),
      PASSWORD,
      HASH: hash,
    });
  await svc(WARMUP_SECONDS);
  const a = [];
  const b = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await svc(SECONDS));
    b.push(await base());
    log(
      `  login round ${i + 1}: service ${a[i].rps.toFixed(1)}/s p50 ${a[i].p50} ms | argon2 ${b[i].perSecond.toFixed(1)}/s p50 ${b[i].p50.toFixed(1)} ms`,
    );
  }
  const problem = runProblem(a);
  const rps = median(a.map((r) => r.rps));
  const baseRps = median(b.map((r) => r.perSecond));
  const p50 = median(a.map((r) => r.p50));
  const baseP50 = median(b.map((r) => r.p50));
  addRow({
    scenario: '2 POST /api/auth/login, 8 conc',
    figure: `${fmt(rps)} logins/s`,
    baseline: `${fmt(baseRps)} verify/s`,
    ratio: fmt(rps / baseRps, '×', 2),
    target: '≥ 0.85×',
    verdict: verdict(rps >= 0.85 * baseRps, problem),
  });
  addRow({
    scenario: '2 POST /api/auth/login p50',
    figure: fmt(p50, ' ms'),
    baseline: fmt(baseP50, ' ms'),
    ratio: `${p50 - baseP50 >= 0 ? '+' : ''}${fmt(p50 - baseP50, ' ms')}`,
    target: '≤ baseline + 5 ms',
    verdict: verdict(p50 <= baseP50 + 5, problem),
  });
  details.login = { service: a, baseline: b };
}

async function scenarioMeUnderLoginFlood(ctx) {
  const { service, tokens, emails } = ctx;
  const meRun = meLoad(service, tokens);
  const me = () => meRun(SECONDS);
  const solo = [];
  const flooded = [];
  const floods = [];
  for (let i = 0; i < ROUNDS; i++) {
    solo.push(await me());
    const flood = loginLoad(service, emails)(SECONDS + 2);
    await sleep(1000); // the flood is at full strength before /me is measured
    flooded.push(await me());
    floods.push(await flood);
    log(
      `  flood round ${i + 1}: /me solo p99 ${solo[i].p99} ms | under flood p99 ${flooded[i].p99} ms (${flooded[i].rps.toFixed(0)} req/s, logins ${floods[i].rps.toFixed(1)}/s)`,
    );
  }
  const problem = runProblem([...solo, ...flooded, ...floods]);
  const p99 = median(flooded.map((r) => r.p99));
  const soloP99 = median(solo.map((r) => r.p99));
  addRow({
    scenario: '3 /me p99 during login flood',
    figure: fmt(p99, ' ms'),
    baseline: `${fmt(soloP99, ' ms')} solo`,
    ratio: fmt(p99 / soloP99, '×', 2),
    target: '≤ 3.00×',
    verdict: verdict(p99 <= 3 * soloP99, problem),
  });
  details.meUnderFlood = { solo, flooded, floods };
}

/** Scenario 1's load on `service`: GET /me, bearer `tokens` round robin, ME_CONNECTIONS connections. */
const meLoad = (service, tokens) => (seconds) =>
  cannon({
    url: `${service.base}/api/auth/me`,
    connections: ME_CONNECTIONS,
    seconds,
    requests: bearerRequests(tokens),
  });

/** Scenario 2's load on `service`: sign-ins of `emails` round robin, LOGIN_CONCURRENCY at a time. */
const loginLoad = (service, emails) => (seconds) =>
  cannon({
    url: `${service.base}/api/auth/login`,
    method: 'POST',
    connections: LOGIN_CONCURRENCY,
    seconds,
    requests: loginRequests(emails, PASSWORD),
  });

/**
 * Scenario 4's load on `service`: refresh chains, REFRESH_CONCURRENCY at a time, each answer's
 * rotated token back to the pool; before each run the pool is topped up by signing `emails` in.
 */
function refreshLoad(service, emails) {
  const tokenPool = [];
  return async (seconds) => {
    const missing = REFRESH_CONCURRENCY * 2 - tokenPool.length;
    if (missing > 0)
      for (const result of await logins(service.base, emails, missing)) tokenPool.push(result.refreshToken);
    return cannon({
      url: `${service.base}/api/auth/refresh`,
      method: 'POST',
      connections: REFRESH_CONCURRENCY,
      seconds,
      requests: refreshRequests(tokenPool),
    });
  };
}

async function scenarioRefresh(ctx) {
  const { service, env, emails } = ctx;
  const svc = refreshLoad(service, emails);
  const base = () =>
    runBaselineScript('refresh-primitives.js', {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      REDIS_PREFIX: `${env.REDIS_PREFIX}base:`,
      CONCURRENCY: String(REFRESH_CONCURRENCY),
      DURATION_MS: String(SECONDS * 1000),
    });
  await svc(WARMUP_SECONDS);
  const a = [];
  const b = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await svc(SECONDS));
    b.push(await base());
    log(
      `  refresh round ${i + 1}: service ${a[i].rps.toFixed(0)}/s p50 ${a[i].p50} ms | primitives ${b[i].perSecond.toFixed(0)}/s p50 ${b[i].p50.toFixed(1)} ms`,
    );
  }
  const problem = runProblem(a);
  const rps = median(a.map((r) => r.rps));
  const baseRps = median(b.map((r) => r.perSecond));
  addRow({
    scenario: '4 POST /api/auth/refresh, 20 conc',
    figure: `${fmt(rps, '', 0)} refresh/s`,
    baseline: `${fmt(baseRps, '', 0)} /s`,
    ratio: fmt(rps / baseRps, '×', 2),
    target: '≥ 0.60×',
    verdict: verdict(rps >= 0.6 * baseRps, problem),
  });
  details.refresh = { service: a, baseline: b };
}

const OIDC_CONNECTIONS = 20;

/**
 * Scenario 7: the OIDC token endpoint (oidc-provider behind Fastify, our adapters), refresh grant
 * (rotation: a PostgreSQL read, consume and insert, the grant's SecureAuth session checked, a new
 * ID token and JWT access token signed) and client_credentials (client authentication, one JWT),
 * against token-floor-server.js: HTTP + Basic client authentication + one ES256 signature.
 */
async function scenarioOidcToken(ctx) {
  const { service, env, emails } = ctx;
  const client = await registerBenchClient(env.DATABASE_URL);
  const port = await freePort();
  const floor = await forkBaseline('token-floor-server.js', {
    PORT: String(port),
    CLIENT_ID: client.clientId,
    CLIENT_SECRET: client.clientSecret,
  });
  const tokenUrl = `${service.base}/oidc/default/token`;
  const form = { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' };
  const credentials = (url, seconds) =>
    cannon({
      url,
      method: 'POST',
      headers: form,
      body: 'grant_type=client_credentials',
      connections: OIDC_CONNECTIONS,
      seconds,
    });

  // Refresh tokens from real authorizations: a signed-in browser's access cookie, code + PKCE.
  // Topped up before each run: the requests in flight when a run stops rotate tokens whose answers are dropped.
  const signedIn = await logins(service.base, emails, 10);
  const pool = [];
  let authorizations = 0;
  const topUp = () =>
    Promise.all(
      Array.from({ length: 4 }, async () => {
        while (pool.length < OIDC_CONNECTIONS * 2) {
          const browser = signedIn[authorizations++ % signedIn.length];
          pool.push((await authorize(service.base, client, browser.accessToken)).refresh_token);
        }
      }),
    );
  const refresh = async (seconds) => {
    await topUp();
    return cannon({
      url: tokenUrl,
      method: 'POST',
      connections: OIDC_CONNECTIONS,
      seconds,
      requests: oidcRefreshRequests(pool, client),
    });
  };

  await credentials(tokenUrl, WARMUP_SECONDS);
  await credentials(`http://127.0.0.1:${port}/token`, WARMUP_SECONDS);
  await refresh(WARMUP_SECONDS);
  const cc = [];
  const rt = [];
  const base = [];
  for (let i = 0; i < ROUNDS; i++) {
    cc.push(await credentials(tokenUrl, SECONDS));
    rt.push(await refresh(SECONDS));
    base.push(await credentials(`http://127.0.0.1:${port}/token`, SECONDS));
    log(
      `  oidc round ${i + 1}: client_credentials ${cc[i].rps.toFixed(0)}/s p50 ${cc[i].p50} ms | refresh ${rt[i].rps.toFixed(0)}/s p50 ${rt[i].p50} ms | floor ${base[i].rps.toFixed(0)}/s p50 ${base[i].p50} ms`,
    );
  }
  floor.kill('SIGTERM');
  const floorRps = median(base.map((r) => r.rps));
  const ccRps = median(cc.map((r) => r.rps));
  const rtRps = median(rt.map((r) => r.rps));
  addRow({
    scenario: '7 OIDC token: client_credentials, 20 conn',
    figure: `${fmt(ccRps, '', 0)} tokens/s`,
    baseline: `${fmt(floorRps, '', 0)} /s floor`,
    ratio: fmt(ccRps / floorRps, '×', 2),
    target: '≥ 0.15×',
    verdict: verdict(ccRps >= 0.15 * floorRps, runProblem(cc)),
  });
  addRow({
    scenario: '7 OIDC token: refresh grant, 20 conn',
    figure: `${fmt(rtRps, '', 0)} refresh/s`,
    baseline: `${fmt(floorRps, '', 0)} /s floor`,
    ratio: fmt(rtRps / floorRps, '×', 2),
    target: '≥ 0.04×',
    verdict: verdict(rtRps >= 0.04 * floorRps, runProblem(rt)),
  });
  details.oidcToken = { clientCredentials: cc, refresh: rt, floor: base };
}

/**
 * Scenario 8: data at scale. A second service runs on a database and Redis database of its own
 * holding the same 1,000 users plus SCALE_USERS users and SCALE_SESSIONS live sessions
 * (PostgreSQL rows and Redis records, lib/scale.js); scenarios 1, 2 and 4's loads (same
 * connections, same request generators) then alternate between the small service and the large
 * one, round by round like every other ratio, so a shared machine's drift lands on both sides.
 * Each ratio is large / small. On the large side, sign-ins, /me tokens and refresh chains belong
 * to users spread over the seeded range, so the lookups land all over the large tables and indexes.
 */
async function scenarioScale(ctx) {
  const { env, emails, hash } = ctx;
  const largeName = `${new URL(env.DATABASE_URL).pathname.slice(1)}_scale`;
  const largeDb = new URL(env.DATABASE_URL);
  largeDb.pathname = `/${largeName}`;
  const largeRedis = new URL(env.REDIS_URL);
  largeRedis.pathname = '/1'; // its own keyspace: the small side's Redis stays small
  const largeEnv = {
    ...env,
    PORT: String(await freePort()),
    DATABASE_URL: largeDb.toString(),
    REDIS_URL: largeRedis.toString(),
    REDIS_PREFIX: `${env.REDIS_PREFIX.slice(0, -1)}s:`,
  };
  cleanups.push(async () => {
    await dropDatabase(largeEnv.DATABASE_URL, largeName);
    const deleted = await deleteRedisKeys(largeEnv.REDIS_URL, largeEnv.REDIS_PREFIX);
    log(`dropped database ${largeName}; deleted ${deleted} Redis keys under ${largeEnv.REDIS_PREFIX} (db 1)`);
  });
  prepareDatabase(largeEnv, log);
  await seedUsers(largeEnv.DATABASE_URL);

  log(`  seeding the large side to ${SCALE_USERS} users and ${SCALE_SESSIONS} live sessions`);
  const seedStarted = performance.now();
  const seed = await seedScale({
    databaseUrl: largeEnv.DATABASE_URL,
    redisUrl: largeEnv.REDIS_URL,
    redisPrefix: largeEnv.REDIS_PREFIX,
    hash,
    users: SCALE_USERS,
    sessions: SCALE_SESSIONS,
    smallUsers: emails.length,
    env: largeEnv,
    log,
  });
  seed.seconds.total = (performance.now() - seedStarted) / 1000;
  const { firstNew, lastNew } = seed.userOf;
  log(
    `  seeded ${seed.added.users} users in ${seed.seconds.users.toFixed(1)} s; ${seed.added.sessions} sessions, ${seed.added.devices} devices, ${seed.added.refreshTokens} rotated refresh tokens in ${seed.seconds.sessions.toFixed(1)} s; ANALYZE ${seed.seconds.analyze.toFixed(1)} s; ${seed.added.liveRecords} Redis records in ${seed.seconds.redis.toFixed(1)} s`,
  );
  const plans = await explainHotPaths(largeEnv.DATABASE_URL, { email: spreadEmails(1, firstNew, lastNew, 0.61)[0] });
  for (const [name, plan] of Object.entries(plans)) {
    log(`  EXPLAIN ${name}: ${plan.nodes.join(' > ')} (${plan.executionMs.toFixed(2)} ms)`);
  }
  const largeService = await startService(largeEnv);
  cleanups.unshift(() => largeService.stop());

  /** The three loads against one service, its users signed in and its refresh chains ready. */
  const loadsOf = async (service, databaseUrl, { meEmails, loginEmails, refreshEmails }) => {
    await rememberBenchDevice(databaseUrl, [...meEmails, ...loginEmails, ...refreshEmails]);
    const signedIn = await logins(service.base, meEmails, meEmails.length);
    return {
      signedIn,
      me: meLoad(
        service,
        signedIn.map((r) => r.accessToken),
      ),
      login: loginLoad(service, loginEmails),
      refresh: refreshLoad(service, refreshEmails),
    };
  };
  const sides = {
    small: await loadsOf(ctx.service, env.DATABASE_URL, {
      meEmails: emails.slice(0, ME_TOKENS),
      loginEmails: emails,
      refreshEmails: emails.slice(-REFRESH_CONCURRENCY * 5),
    }),
    // Users spread over the seeded range: /me tokens, sign-ins and refresh chains each have their own.
    large: await loadsOf(largeService, largeEnv.DATABASE_URL, {
      meEmails: spreadEmails(ME_TOKENS, firstNew, lastNew, 0.25),
      loginEmails: spreadEmails(emails.length, firstNew, lastNew, 0.5),
      refreshEmails: spreadEmails(REFRESH_CONCURRENCY * 5, firstNew, lastNew, 0.75),
    }),
  };
  const loads = ['me', 'login', 'refresh'];
  const runs = {
    small: { me: [], login: [], refresh: [], load: [] },
    large: { me: [], login: [], refresh: [], load: [] },
  };
  for (const side of ['small', 'large']) for (const load of loads) await sides[side][load](WARMUP_SECONDS);
  for (let i = 0; i < ROUNDS; i++) {
    for (const load of loads) {
      for (const side of ['small', 'large']) runs[side][load].push(await sides[side][load](SECONDS));
    }
    for (const side of ['small', 'large']) {
      const r = runs[side];
      r.load.push(loadAvg());
      log(
        `  ${side} round ${i + 1}: /me ${r.me[i].rps.toFixed(0)} req/s p99 ${r.me[i].p99} ms | login ${r.login[i].rps.toFixed(1)}/s p50 ${r.login[i].p50} ms | refresh ${r.refresh[i].rps.toFixed(0)}/s p50 ${r.refresh[i].p50} ms`,
      );
    }
  }
  await largeService.stop();

  // The seeded records must be what the service writes: compare with a record it wrote itself.
  const redis = new Redis(largeEnv.REDIS_URL);
  let keyCheck;
  try {
    const sid = decodeJwt(sides.large.signedIn[0].accessToken).sid;
    const serviceRecord = await redis.get(`${largeEnv.REDIS_PREFIX}${liveSessionKey(sid)}`);
    const sample = await redis.get(`${largeEnv.REDIS_PREFIX}${liveSessionKey(seed.sampleSessionId)}`);
    const shape = (raw) => (raw ? Object.keys(JSON.parse(raw)).join(',') : null);
    keyCheck = {
      serviceKeyFound: serviceRecord !== null,
      seededKeyFound: sample !== null,
      sameFields: serviceRecord !== null && shape(serviceRecord) === shape(sample),
    };
  } finally {
    redis.disconnect();
  }
  if (!keyCheck.serviceKeyFound || !keyCheck.sameFields) {
    log(
      `  WARNING: the seeded live records do not match the service's (${JSON.stringify(keyCheck)}): adjust liveSessionKey / the record in bench/lib/scale.js to src/modules/sessions/live-session.store.ts`,
    );
  }

  const rowOf = (label, key, unit, perRun, digits) => {
    const s = median(runs.small[key].map(perRun));
    const l = median(runs.large[key].map(perRun));
    const problem = runProblem(runs.small[key]) ?? runProblem(runs.large[key]);
    addRow({
      scenario: `8 ${label} at ${compact(SCALE_USERS)} users`,
      figure: `${fmt(l, '', digits)} ${unit}`,
      baseline: `${fmt(s, '', digits)} small`,
      ratio: fmt(l / s, '×', 2),
      target: `≥ ${SCALE_TARGET.toFixed(2)}×`,
      verdict: verdict(l >= SCALE_TARGET * s, problem),
    });
  };
  rowOf('GET /api/auth/me, 50 conn,', 'me', 'req/s', (r) => r.rps, 0);
  rowOf('POST /api/auth/login, 8 conc,', 'login', 'logins/s', (r) => r.rps, 1);
  rowOf('POST /api/auth/refresh, 20 conc,', 'refresh', 'refresh/s', (r) => r.rps, 0);
  details.scale = { ...runs, seed, plans, keyCheck };
}

const compact = (n) => (n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : String(n));

const wallNow = () => performance.timeOrigin + performance.now();

/** Sends one OTP per number to the service; rate 0 = as fast as 50 in flight allow, else open loop. */
async function sendOtps(base, numbers, rate) {
  const sentAt = {};
  const failures = {};
  let lastAnswer = 0;
  const post = async (phone) => {
    try {
      return await request(`${base}/api/auth/send-otp`, { method: 'POST', body: { phone, channel: 'sms' } });
    } catch (error) {
      // A kept-alive socket the server closed just as we reused it: the request never got there.
      if (error.code !== 'ECONNRESET') throw error;
      return request(`${base}/api/auth/send-otp`, { method: 'POST', body: { phone, channel: 'sms' } });
    }
  };
  const send = async (phone) => {
    sentAt[phone] = wallNow();
    try {
      const res = await post(phone);
      lastAnswer = Math.max(lastAnswer, wallNow());
      if (res.status !== 202) {
        failures[res.status] = (failures[res.status] ?? 0) + 1;
        if (!failures.sample) failures.sample = `${res.status} ${res.text.slice(0, 200)}`;
        delete sentAt[phone];
      }
    } catch (error) {
      failures.network = (failures.network ?? 0) + 1;
      failures.sample ??= String(error.message);
      delete sentAt[phone];
    }
  };
  if (!rate) {
    await pool(numbers.length, OTP_SEND_CONCURRENCY, (i) => send(numbers[i]));
  } else {
    const start = wallNow();
    const pending = [];
    for (let i = 0; i < numbers.length; i++) {
      const wait = start + (i * 1000) / rate - wallNow();
      if (wait > 1) await sleep(wait);
      pending.push(send(numbers[i]));
    }
    await Promise.all(pending);
  }
  const first = Math.min(...Object.values(sentAt));
  const acceptedPerSecond = Object.keys(sentAt).length / ((lastAnswer - first) / 1000);
  return { sentAt, failures, acceptedPerSecond };
}

/** Waits for the sink and measures: delivered/s over first send -> last arrival, and latencies. */
async function collectDeliveries(sinks, sentAt, expected) {
  const numbers = Object.keys(sentAt);
  const keys = numbers.map((n) => n.replace(/\D/g, ''));
  const delivered = await sinks.waitFor(keys);
  const latencies = [];
  let first = Infinity;
  let last = 0;
  numbers.forEach((number, i) => {
    first = Math.min(first, sentAt[number]);
    const arrived = sinks.arrivals.get(keys[i]);
    if (arrived !== undefined) {
      last = Math.max(last, arrived);
      latencies.push(arrived - sentAt[number]);
    }
  });
  return {
    expected,
    accepted: numbers.length,
    delivered,
    perSecond: delivered / ((last - first) / 1000),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

async function scenarioOtp(ctx) {
  const { service, env, sinks, sinkPort, phones } = ctx;
  const queueBaseline = await forkBaseline('bullmq-delivery.js', {
    REDIS_URL: env.REDIS_URL,
    REDIS_PREFIX: `${env.REDIS_PREFIX}base:`,
    SINK_URL: `http://127.0.0.1:${sinkPort}`,
    WORKER_CONCURRENCY: '20',
    ENQUEUE_CONCURRENCY: String(OTP_SEND_CONCURRENCY),
  });
  const baseline = (numbers, rate) =>
    new Promise((resolve) => {
      queueBaseline.once('message', (message) => resolve(message));
      queueBaseline.send({ numbers, rate });
    });
  const take = (count) => Array.from({ length: count }, () => phones.next());

  const runService = async (count, rate) => {
    const { sentAt, failures, acceptedPerSecond } = await sendOtps(service.base, take(count), rate);
    const result = await collectDeliveries(sinks, sentAt, count);
    return { ...result, acceptedPerSecond, failures };
  };
  const runBaseline = async (count, rate) => {
    const { sentAt } = await baseline(take(count), rate);
    return collectDeliveries(sinks, sentAt, count);
  };

  // warm-up: a few messages through each pipeline
  await runService(20, 0);
  await runBaseline(20, 0);

  const flood = { service: [], baseline: [] };
  const paced = { service: [], baseline: [] };
  for (let i = 0; i < ROUNDS; i++) {
    flood.service.push(await runService(OTP_FLOOD, 0));
    flood.baseline.push(await runBaseline(OTP_FLOOD, 0));
    const s = flood.service[i];
    const bl = flood.baseline[i];
    log(
      `  otp flood round ${i + 1}: service accepted ${s.acceptedPerSecond.toFixed(0)}/s, delivered ${s.delivered}/${s.expected} at ${s.perSecond.toFixed(0)}/s | bullmq ${bl.delivered}/${bl.expected} at ${bl.perSecond.toFixed(0)}/s`,
    );
    if (Object.keys(s.failures).length) log(`    service refusals: ${JSON.stringify(s.failures)}`);
  }
  for (let i = 0; i < ROUNDS; i++) {
    paced.service.push(await runService(OTP_PACED, OTP_RATE));
    paced.baseline.push(await runBaseline(OTP_PACED, OTP_RATE));
    const s = paced.service[i];
    const bl = paced.baseline[i];
    log(
      `  otp ${OTP_RATE}/s round ${i + 1}: service p95 ${s.p95.toFixed(0)} ms (${s.delivered}/${s.expected}) | bullmq p95 ${bl.p95.toFixed(0)} ms`,
    );
  }
  queueBaseline.kill('SIGTERM');

  const complete = (runs) => runs.every((r) => r.delivered === r.expected);
  const problemOf = (runs) => {
    const bad = runs.find((r) => r.delivered < r.expected);
    if (!bad) return undefined;
    const reason = bad.failures?.sample ? `; ${bad.failures.sample}` : '';
    return `${bad.delivered}/${bad.expected} delivered${reason}`.slice(0, 120);
  };
  const rate = median(flood.service.map((r) => r.perSecond));
  const baseRate = median(flood.baseline.map((r) => r.perSecond));
  const floodProblem = complete(flood.service) ? undefined : problemOf(flood.service);
  addRow({
    scenario: `5 OTP send-otp → sink, ${OTP_FLOOD} msgs`,
    figure: `${fmt(rate, '', 0)} delivered/s`,
    baseline: `${fmt(baseRate, '', 0)} /s (BullMQ)`,
    ratio: fmt(rate / baseRate, '×', 2),
    target: '≥ 0.50×',
    verdict: verdict(rate >= 0.5 * baseRate, floodProblem),
  });
  const p95 = median(paced.service.map((r) => r.p95));
  const baseP95 = median(paced.baseline.map((r) => r.p95));
  const pacedProblem = complete(paced.service) ? undefined : problemOf(paced.service);
  addRow({
    scenario: `5 OTP p95 request → sink @${OTP_RATE}/s`,
    figure: fmt(p95, ' ms', 0),
    baseline: `${fmt(baseP95, ' ms', 0)} (BullMQ)`,
    ratio: '—',
    target: '≤ 1000 ms',
    verdict: verdict(p95 <= 1000, pacedProblem),
  });
  details.otp = { flood, paced };
}

// ---------------------------------------------------------------------------------------

function printTable() {
  const header = {
    scenario: 'scenario',
    figure: 'figure',
    baseline: 'baseline',
    ratio: 'ratio',
    target: 'target',
    verdict: 'verdict',
  };
  const cols = Object.keys(header);
  const widths = cols.map((c) => Math.max(...[header, ...rows].map((r) => String(r[c]).length)));
  const line = (r) => '| ' + cols.map((c, i) => String(r[c]).padEnd(widths[i])).join(' | ') + ' |';
  const out = [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)];
  return out.join('\n');
}

/** Scenario 8's sizes, seed times and plans, printed under the table. */
function scaleSummary({ seed, plans, keyCheck, small }) {
  const n = (v) => Math.round(v).toLocaleString('en-US');
  const lines = [
    `scenario 8 seed: ${n(seed.added.users)} users in ${seed.seconds.users.toFixed(1)} s; ` +
      `${n(seed.added.sessions)} sessions + ${n(seed.added.devices)} devices + ${n(seed.added.refreshTokens)} rotated refresh tokens in ${seed.seconds.sessions.toFixed(1)} s; ` +
      `ANALYZE ${seed.seconds.analyze.toFixed(1)} s; ${n(seed.added.liveRecords)} Redis live records in ${seed.seconds.redis.toFixed(1)} s; total ${seed.seconds.total.toFixed(1)} s`,
    `  totals after seeding: ${n(seed.after.counts.users)} users, ${n(seed.after.counts.live)} live sessions (${n(seed.after.counts.sessions)} rows), ` +
      `${n(seed.after.counts.refresh_tokens)} refresh_token rows, ${n(seed.after.counts.devices)} devices`,
    `  Redis: ${n(seed.redis.bytesPerLiveSession)} bytes per live session (used_memory ${(seed.redis.usedMemoryBefore / 2 ** 20).toFixed(0)} → ${(seed.redis.usedMemoryAfter / 2 ** 20).toFixed(0)} MiB); ` +
      `MEMORY USAGE of a record ${seed.redis.memoryUsageSample.median} bytes (${seed.redis.memoryUsageSample.min}–${seed.redis.memoryUsageSample.max}); JSON value ${n(seed.redis.valueBytesMean)} bytes`,
    `  PostgreSQL (tables + indexes + TOAST): ${n(seed.postgres.bytesPerUser)} bytes per user (app_user); ` +
      `${n(seed.postgres.bytesPerSession)} bytes per session (session ${n(seed.postgres.sessionTableBytesPerSession)} + refresh_token, ${n(seed.postgres.refreshTokenBytesPerRow)} per rotated token); ` +
      `device ${n(seed.postgres.deviceBytesPerDevice)} bytes per device`,
    `  sizes (MiB) after seeding: ${Object.entries(seed.after.sizes)
      .map(([name, size]) => `${name} ${(size.total / 2 ** 20).toFixed(0)} (heap ${(size.heap / 2 ** 20).toFixed(0)})`)
      .join(', ')}`,
    `  load avg per round (small and large alternate): ${small.load.join(' | ')}`,
  ];
  for (const [name, plan] of Object.entries(plans)) {
    lines.push(
      `  EXPLAIN ${name}: ${plan.nodes.join(' > ')}; ${plan.executionMs.toFixed(2)} ms${plan.seqScan.length ? `; SEQUENTIAL SCAN: ${plan.seqScan.join(', ')}` : ''}`,
    );
  }
  if (keyCheck && (!keyCheck.serviceKeyFound || !keyCheck.sameFields))
    lines.push(`  WARNING: seeded live records differ from the service's: ${JSON.stringify(keyCheck)}`);
  return lines.join('\n');
}

async function main() {
  const pid = process.pid;
  const dbName = `secureauth_bench_${pid}`;
  const pgBase = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databaseUrl = (() => {
    const url = new URL(pgBase);
    url.pathname = `/${dbName}`;
    return url.toString();
  })();
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `sabench${pid}:`;
  const loadAtStart = loadAvg();
  log(
    `mode ${QUICK ? 'quick' : 'full'}: ${ROUNDS} round(s) × ${SECONDS} s; ${os.cpus().length} CPUs; load avg ${loadAtStart}`,
  );

  if (!flags['no-build']) build(log);
  const snapshot = snapshotDist(log);
  cleanups.push(() => fs.rmSync(snapshot, { recursive: true, force: true }));

  const [port, sinkPort, smtpPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env = serviceEnv({ port, databaseUrl, redisUrl, redisPrefix, sinkPort, smtpPort });
  const tuning = {};
  for (const pair of flags.env) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--env expects KEY=VALUE, got "${pair}"`);
    const [key, value] = [pair.slice(0, at), pair.slice(at + 1)];
    // Several --env NODE_OPTIONS=… add up instead of replacing each other.
    tuning[key] = key === 'NODE_OPTIONS' && tuning[key] ? `${tuning[key]} ${value}` : value;
  }
  Object.assign(env, tuning);
  if (flags.env.length) log(`service tuning: ${JSON.stringify(tuning)}`);
  const sinks = await startSinks({ httpPort: sinkPort, smtpPort });
  cleanups.push(() => sinks.close());
  cleanups.push(async () => {
    await dropDatabase(databaseUrl, dbName);
    log(`dropped database ${dbName}`);
  });
  cleanups.push(async () => {
    const deleted = await deleteRedisKeys(redisUrl, redisPrefix);
    log(`deleted ${deleted} Redis keys under ${redisPrefix}`);
  });

  prepareDatabase(env, log);
  const { hash, emails } = await seedUsers(databaseUrl);
  log(`seeded ${emails.length} users (argon2id m=19456 t=2 p=1)`);

  const profileDir = flags.profile ? path.join(__dirname, 'results', 'profiles') : undefined;
  // Cold starts (spawn -> /health/ready 200); migrations already done.
  const readyTimes = [];
  const extraStarts = QUICK ? 0 : 2;
  for (let i = 0; i < extraStarts; i++) {
    const probe = await startService(env);
    readyTimes.push(probe.readyMs);
    await probe.stop();
  }
  const service = await startService(env, { profileDir });
  cleanups.unshift(() => service.stop());
  readyTimes.push(service.readyMs);
  log(
    `service pid ${service.pid} ready in ${readyTimes.map((t) => t.toFixed(0)).join(', ')} ms; listening on ${service.base}`,
  );

  // Which routes exist yet (the service is built by several people at once).
  const ctx = { service, env, emails, hash, sinks, sinkPort, phones: phoneSequence() };
  const routes = {};
  try {
    ctx.first = await login(service.base, emails[0]);
    routes.login = true;
  } catch (error) {
    routes.login = false;
    log(`login unavailable: ${error.message}`);
  }
  if (routes.login) {
    const me = await request(`${service.base}/api/auth/me`, {
      headers: { authorization: `Bearer ${ctx.first.accessToken}` },
    });
    routes.me = me.status === 200;
    if (!routes.me) log(`/me unavailable: ${me.status} ${me.text.slice(0, 200)}`);
    const jwks = await request(`${service.base}/.well-known/jwks.json`);
    routes.jwks = jwks.status === 200;
    if (!routes.jwks) log(`/.well-known/jwks.json unavailable: ${jwks.status}`);
    const refresh = await request(`${service.base}/api/auth/refresh`, {
      method: 'POST',
      body: { refreshToken: ctx.first.refreshToken },
    });
    routes.refresh = refresh.status === 200 && typeof refresh.json?.refreshToken === 'string';
    if (!routes.refresh) log(`refresh unavailable: ${refresh.status} ${refresh.text.slice(0, 200)}`);
  }
  const otpProbe = await request(`${service.base}/api/auth/send-otp`, {
    method: 'POST',
    body: { phone: ctx.phones.next(), channel: 'sms' },
  });
  routes.sendOtp = otpProbe.status === 202;
  if (!routes.sendOtp) log(`send-otp unavailable: ${otpProbe.status} ${otpProbe.text.slice(0, 200)}`);

  const scenarioLoad = {};
  const scenarioRss = {};
  const run = async (n, name, fn) => {
    if (!wanted(n)) return;
    scenarioLoad[name] = loadAvg();
    log(`scenario ${n}: ${name} (load avg ${scenarioLoad[name]})`);
    service.takeWindowPeakMb();
    try {
      await fn();
    } catch (error) {
      harnessBroke = true;
      log(`scenario ${n} broke: ${error.stack ?? error}`);
      addRow({
        scenario: `${n} ${name}`,
        figure: '—',
        baseline: '—',
        ratio: '—',
        target: '—',
        verdict: `ERROR (${String(error.message).slice(0, 80)})`,
      });
    }
    scenarioRss[name] = round(service.takeWindowPeakMb());
    if (!service.alive()) throw new Error(`the service died during scenario ${n}:\n${service.output().slice(-3000)}`);
  };

  if (routes.login && routes.me && routes.jwks) {
    ctx.tokens = (await logins(service.base, emails, ME_TOKENS)).map((r) => r.accessToken);
  }
  await run(1, '/me vs node:http+jose+Redis', async () => {
    if (!ctx.tokens) return skip('1 GET /api/auth/me, 50 conn', '—', 'login, /me or JWKS route missing');
    await scenarioMe(ctx);
  });
  await run(2, 'login vs raw argon2', async () => {
    if (!routes.login) return skip('2 POST /api/auth/login, 8 conc', '—', 'login route missing');
    await scenarioLogin(ctx);
  });
  await run(3, '/me during login flood', async () => {
    if (!ctx.tokens) return skip('3 /me p99 during login flood', '—', 'login or /me route missing');
    await scenarioMeUnderLoginFlood(ctx);
  });
  await run(4, 'refresh vs primitives', async () => {
    if (!routes.refresh) return skip('4 POST /api/auth/refresh, 20 conc', '—', 'refresh route missing');
    await scenarioRefresh(ctx);
  });
  await run(5, 'OTP pipeline vs BullMQ', async () => {
    if (!routes.sendOtp) return skip(`5 OTP send-otp → sink`, '—', `send-otp answered ${otpProbe.status}`);
    await scenarioOtp(ctx);
  });

  const peakRss = service.peakRssMb();
  const ready = median(readyTimes);
  addRow({
    scenario: '6 API peak RSS during 1–5',
    figure: fmt(peakRss, ' MB', 0),
    baseline: '—',
    ratio: '—',
    target: '≤ 300 MB',
    verdict: verdict(peakRss <= 300),
  });
  addRow({
    scenario: '6 ready after spawn',
    figure: fmt(ready / 1000, ' s', 2),
    baseline: '—',
    ratio: '—',
    target: '≤ 3 s',
    verdict: verdict(ready <= 3000),
  });

  // After the RSS figure of 1–5: the first /oidc request loads oidc-provider (~45 MB), which the
  // API's own routes never need; scenario 7's peak is in the per-scenario figures below the table.
  await run(7, 'OIDC token endpoint vs floor', async () => {
    if (!routes.login) return skip('7 OIDC token endpoint', '—', 'login route missing');
    await scenarioOidcToken(ctx);
  });
  // Last and optional: it seeds for minutes, on a database and service of its own.
  if (SCALE) {
    await run(8, 'data at scale', async () => {
      if (!routes.login || !routes.me || !routes.refresh)
        return skip('8 data at scale', '—', 'login, /me or refresh route missing');
      await scenarioScale(ctx);
    });
  }
  await service.stop();
  const serviceLog = service.outputStats();
  log(
    `service printed ${serviceLog.lines} lines (${(serviceLog.bytes / 1024).toFixed(0)} KiB); the tail is in latest.json`,
  );
  let profile;
  if (profileDir) {
    const files = fs
      .readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(profileDir, f))
      .sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs);
    if (files[0]) {
      profile = {
        file: path.relative(ROOT, files[0]),
        memoryPeaksMb: service.memoryPeaks(),
        top: summariseProfile(files[0]),
        byOwner: summariseByOwner(files[0]),
      };
    }
  }

  const table = printTable();
  const loadAtEnd = loadAvg();
  console.log(
    `\nSecureAuth bench (${QUICK ? 'quick' : 'full'}, ${ROUNDS} round(s) × ${SECONDS} s, median), ${new Date().toISOString()}`,
  );
  if (flags.env.length) console.log(`service tuning (--env): ${flags.env.join(' ')}`);
  console.log(
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}; load avg (1/5/15 min) at start ${loadAtStart}, at end ${loadAtEnd}\n`,
  );
  console.log(table);
  console.log(`\nper-scenario load avg: ${JSON.stringify(scenarioLoad)}`);
  console.log(`per-scenario peak RSS (MB): ${JSON.stringify(scenarioRss)}`);
  if (details.scale) console.log(`\n${scaleSummary(details.scale)}`);
  if (profile) {
    console.log(`\nCPU profile ${profile.file}, top self time:`);
    for (const entry of profile.top)
      console.log(`  ${entry.percent.toFixed(1).padStart(5)}%  ${String(entry.selfMs).padStart(7)} ms  ${entry.fn}`);
    if (profile.memoryPeaksMb)
      console.log(`memory peaks (MB, process.memoryUsage): ${JSON.stringify(profile.memoryPeaksMb)}`);
    console.log('self time by nearest package / service module (native time goes to its JS caller):');
    for (const entry of profile.byOwner)
      console.log(`  ${entry.percent.toFixed(1).padStart(5)}%  ${String(entry.selfMs).padStart(7)} ms  ${entry.owner}`);
  }

  const results = {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    rounds: ROUNDS,
    secondsPerRun: SECONDS,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    load: { start: loadAtStart, end: loadAtEnd, perScenario: scenarioLoad },
    routes,
    tuning: flags.env,
    rows,
    readyMs: readyTimes,
    peakRssMb: round(peakRss),
    peakRssPerScenarioMb: scenarioRss,
    serviceLog: { ...serviceLog, tail: service.output().slice(-4000) },
    details,
    profile,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  log('wrote bench/results/latest.json');
}

let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups) {
      try {
        await fn();
      } catch (error) {
        log(`cleanup: ${error.message}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    log(`${signal}: cleaning up`);
    await cleanup();
    process.exit(130);
  });
}

main().then(
  async () => {
    await cleanup();
    process.exit(harnessBroke ? 1 : 0);
  },
  async (error) => {
    console.error(`bench failed: ${error.stack ?? error}`);
    await cleanup();
    process.exit(1);
  },
);
