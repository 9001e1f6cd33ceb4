import { randomFill } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** This process's threads (Linux: /proc/self/task); empty where that does not exist. */
function threadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return new Set();
  }
}

/**
 * Starts libuv's threadpool, where argon2 hashes, with a lower scheduling priority than the
 * event loop's thread. A login flood then fills idle CPU instead of taking it from requests
 * already being answered, so hashing can use as many threads as the pool has (full login
 * throughput) without starving the event loop.
 *
 * libuv starts every pool thread on first use; this must run before anything else uses the
 * pool. Answers the threads it lowered: none off Linux, or when the pool was already running.
 */
export function startThreadpoolBelowEventLoop(niceness: number): number[] {
  if (niceness <= 0) return [];
  const before = threadIds();
  // Any work queued on the pool starts it, synchronously, inside this call.
  randomFill(Buffer.alloc(1), () => undefined);
  const pool = [...threadIds()].filter((id) => !before.has(id));
  for (const id of pool) setPriority(id, niceness);
  return pool;
}
