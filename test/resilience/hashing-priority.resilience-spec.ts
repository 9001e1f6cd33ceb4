import { readdirSync, readFileSync } from 'node:fs';
import { Deployment } from './deployment';

/** Linux nice value of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): Map<number, number> {
  const niceness = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields are counted after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    niceness.set(Number(tid), Number(fields[16]));
  }
  return niceness;
}

/**
 * A login flood must not starve the event loop: argon2 runs on libuv's pool, whose threads
 * the API starts below the event loop's priority (bench scenario 3 measures the effect).
 */
describe('password hashing below the event loop (built API process)', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await Deployment.create();
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it("should run libuv's four pool threads at nice 10 and the event loop at 0, and still log in", async () => {
    const api = await deployment.start('api');
    const niceness = threadNiceness(api.pid);
    expect(niceness.get(api.pid)).toBe(0);
    expect([...niceness.values()].filter((nice) => nice === 10)).toHaveLength(4);
    await deployment.signIn(api.http());
  });

  it('should leave every thread at the same priority with ARGON2_THREAD_NICENESS=0', async () => {
    const api = await deployment.start('api', { ARGON2_THREAD_NICENESS: '0' });
    expect(new Set(threadNiceness(api.pid).values())).toEqual(new Set([0]));
  });
});
