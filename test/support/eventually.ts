/**
 * Polls `check` until it gives something other than undefined or false, and returns it; fails
 * with `description` at the deadline. The one way tests wait for something asynchronous: no
 * fixed sleeps. A `check` that throws fails at once, unless `retryErrors` says errors are part
 * of the wait (a process still starting, a dependency coming back): then the last one is
 * reported at the deadline.
 */
export async function eventually<T>(
  description: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { deadlineMs = 10_000, intervalMs = 25, retryErrors = false } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${description}${reason}`, { cause: lastError });
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}
