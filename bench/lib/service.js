'use strict';

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const Redis = require('ioredis');
const { sleep, request } = require('./util');

const ROOT = path.resolve(__dirname, '..', '..');
const os = require('node:os');

/** The node flags production starts with (package.json "config".node_flags, used by npm start*). */
const PRODUCTION_NODE_FLAGS = require(path.join(ROOT, 'package.json')).config.node_flags.split(' ');

/**
 * Where the service's JavaScript runs from: a private copy of dist/ taken right after the
 * build. The working tree is shared, and someone else's `npm run build` (rm -rf dist) must
 * not pull files from under a running bench. The copy keeps dist's layout, so the compiled
 * code finds its migrations (PROJECT_ROOT/dist/migrations); packages resolve via NODE_PATH.
 */
let distRoot = ROOT;

function snapshotDist(log) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secureauth-bench-'));
    try {
      fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      if (['dist/src/main.js', 'dist/src/cli.js'].every((file) => fs.existsSync(path.join(dir, file)))) {
        distRoot = dir;
        log(`running a private copy of dist/ in ${dir}`);
        return dir;
      }
    } catch {
      // dist/ changed while copying: another build is running
    }
    fs.rmSync(dir, { recursive: true, force: true });
    spawnSync('sleep', ['2']);
  }
  throw new Error('dist/ kept changing while it was copied (someone else is building): try again');
}

const distFile = (file) => path.join(distRoot, 'dist', file);

/** The environment of the service under test: production mode, test secrets, local sinks. */
function serviceEnv({ port, databaseUrl, redisUrl, redisPrefix, sinkPort, smtpPort }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_PATH: path.join(ROOT, 'node_modules'),
    NODE_ENV: 'production',
    // As npm start* sets it: fewer glibc malloc arenas (argon2 and libuv threads each grew their own).
    MALLOC_ARENA_MAX: '2',
    BENCHMARK: 'true',
    THROTTLE_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    COOKIE_SECURE: 'true',
    APP_ROLE: 'all',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OTP_PEPPER: randomBytes(32).toString('base64url'),
    DELIVERY_WEBHOOK_SECRET: randomBytes(32).toString('base64url'),
    OIDC_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: 'AC' + randomBytes(16).toString('hex'),
    TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
    TWILIO_FROM: '+15005550006',
    TWILIO_BASE_URL: `http://127.0.0.1:${sinkPort}`,
    WHATSAPP_PROVIDER: 'cloud-api',
    WHATSAPP_TOKEN: randomBytes(24).toString('base64url'),
    WHATSAPP_PHONE_NUMBER_ID: '100000000000001',
    WHATSAPP_BASE_URL: `http://127.0.0.1:${sinkPort}/v21.0`,
    OTP_DEFAULT_CHANNEL: 'sms',
    // The OTP flood sends thousands of +1 SMS in minutes: the toll-fraud budgets would stop it at 200.
    SMS_HOURLY_BUDGET: '10000000',
    SMS_COUNTRY_HOURLY_BUDGET: '10000000',
    CORS_ORIGINS: 'https://bench.localhost',
    WEBAUTHN_RP_ID: 'bench.localhost',
    WEBAUTHN_ORIGINS: 'https://bench.localhost',
  };
}

/** `npm run build`; type errors from work in progress elsewhere do not stop the bench if JS was emitted. */
function build(log) {
  const started = Date.now();
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  const main = path.join(ROOT, 'dist/src/main.js');
  if (result.status !== 0) {
    if (!fs.existsSync(main)) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
    log(`warning: npm run build exited ${result.status}; continuing with the emitted JS:\n` + indent(result.stdout));
  }
  log(`build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const indent = (text) =>
  text
    .trim()
    .split('\n')
    .slice(0, 10)
    .map((line) => '    ' + line)
    .join('\n');

function adminUrl(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function prepareDatabase(env, log) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [distFile('src/cli.js'), 'db:prepare'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`db:prepare failed:\n${result.stdout}\n${result.stderr}`);
  log(`db:prepare: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function dropDatabase(databaseUrl, name) {
  const admin = new Client({ connectionString: adminUrl(databaseUrl) });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

async function deleteRedisKeys(redisUrl, prefix) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    // The service's keys, and BullMQ's under its hash-tagged prefix `{<prefix>bull}`.
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

function readRssKiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    if (match) return Number(match[1]);
  } catch {
    // not Linux: fall back to ps
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * Spawns `node <production flags> dist/src/main.js` and resolves once /health/ready answers 200, with the time
 * from spawn to that answer. The process's stderr is kept for the report.
 */
async function startService(env, { profileDir, readyTimeoutMs = 30_000 } = {}) {
  const args = [...PRODUCTION_NODE_FLAGS];
  if (profileDir) {
    fs.mkdirSync(profileDir, { recursive: true });
    // Nest re-raises SIGTERM after closing, which would skip writing the profile: exit cleanly first.
    args.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      '--expose-gc',
      '-r',
      path.join(__dirname, 'profile-preload.js'),
    );
  }
  args.push(distFile('src/main.js'));
  const spawnedAt = performance.now();
  const memoryFile = profileDir ? path.join(os.tmpdir(), `secureauth-bench-memory-${process.pid}.json`) : undefined;
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: memoryFile ? { ...env, BENCH_MEMORY_FILE: memoryFile } : env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let outputBytes = 0;
  let outputLines = 0;
  const keep = (chunk) => {
    outputBytes += chunk.length;
    for (const byte of chunk) if (byte === 10) outputLines++;
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  const base = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`service exited during start (${JSON.stringify(exited)}):\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service not ready after ${readyTimeoutMs} ms:\n${output.slice(-4000)}`);
    }
    try {
      const res = await request(`${base}/health/ready`, { timeoutMs: 1000 });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  const readyMs = performance.now() - spawnedAt;

  let peakKiB = 0;
  let windowPeakKiB = 0;
  const sample = () => {
    if (exited) return;
    const rss = readRssKiB(child.pid);
    peakKiB = Math.max(peakKiB, rss);
    windowPeakKiB = Math.max(windowPeakKiB, rss);
  };
  sample();
  const sampler = setInterval(sample, 100);
  sampler.unref();

  return {
    pid: child.pid,
    base,
    readyMs,
    output: () => output,
    /** What the service printed (LOG_LEVEL=warn): a busy log is a cost of its own. */
    outputStats: () => ({ bytes: outputBytes, lines: outputLines }),
    alive: () => exited === null,
    /** Peak RSS in MB since start, and since the last call (per-scenario figure). */
    peakRssMb: () => peakKiB / 1024,
    takeWindowPeakMb() {
      sample();
      const value = windowPeakKiB / 1024;
      windowPeakKiB = 0;
      sample();
      return value;
    },
    /** Peaks of process.memoryUsage() in MB (--profile only, after stop). */
    memoryPeaks() {
      try {
        const peaks = JSON.parse(fs.readFileSync(memoryFile, 'utf8'));
        fs.rmSync(memoryFile, { force: true });
        return peaks;
      } catch {
        return undefined;
      }
    },
    async stop() {
      clearInterval(sampler);
      if (exited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
}

module.exports = {
  ROOT,
  snapshotDist,
  serviceEnv,
  build,
  prepareDatabase,
  dropDatabase,
  deleteRedisKeys,
  startService,
  readRssKiB,
};
