/**
 * Polls `check` until it gives something other than undefined or false, and returns it; fails
 * with `description` at the deadline. The one way tests wait for something asynchronous: no
 * fixed sleeps.
 */
export async function eventually<T>(
  description: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { deadlineMs = 10_000, intervalMs = 25 } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${description}`);
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}
