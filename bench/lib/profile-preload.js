'use strict';

/**
 * Preloaded into the service only with --profile (`node -r`), never in normal runs.
 *
 * 1. --cpu-prof writes its file on a normal exit, but Nest's shutdown hook re-raises SIGTERM
 *    after closing the app, which would lose the profile: exit cleanly first.
 * 2. Samples process.memoryUsage() so the report can say what the RSS is made of (V8 heap,
 *    external/ArrayBuffers, the rest: native allocations such as argon2's memory and malloc
 *    arenas); peaks go to BENCH_MEMORY_FILE at exit.
 */
const fs = require('node:fs');

const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const timer = setInterval(() => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], usage[key]);
}, 200);
timer.unref();

const toMb = (usage) => Object.fromEntries(Object.keys(peaks).map((key) => [key, Math.round(usage[key] / 1048576)]));

process.on('exit', () => {
  const file = process.env.BENCH_MEMORY_FILE;
  if (!file) return;
  // With --expose-gc: what is still reachable after a full collection (a leak stays, lazy GC goes).
  let afterFullGc;
  if (typeof global.gc === 'function') {
    global.gc();
    afterFullGc = toMb(process.memoryUsage());
  }
  fs.writeFileSync(file, JSON.stringify({ peak: toMb(peaks), afterFullGc }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.prependListener(signal, () => process.exit(0));
}
