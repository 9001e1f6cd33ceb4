/**
 * Clears the named environment variables before each test of the enclosing describe and puts
 * back what was there after it, so a config test sees only what it sets.
 */
export function isolateEnv(names: readonly string[]): void {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const name of names) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
}
