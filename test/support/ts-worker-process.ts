import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { eventually } from './eventually';

const PROJECT_ROOT = resolve(__dirname, '../..');

/**
 * Loads TypeScript sources in a child process with @swc/core (the compiler jest already
 * uses), so a test can run `src/worker.ts` as a real separate process without a build.
 */
const SWC_REQUIRE_HOOK = `
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
require(process.argv[1]);
`;

/** `src/worker.ts` (APP_ROLE=worker) as its own OS process, killable with real signals. */
export class TsWorkerProcess {
  readonly logs: string[] = [];
  private exited = false;

  private constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer) => this.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('exit', () => (this.exited = true));
  }

  static async start(env: Record<string, string | undefined>, { timeoutMs = 30_000 } = {}): Promise<TsWorkerProcess> {
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, LOG_LEVEL: 'info', APP_ROLE: 'worker', ...env })) {
      if (value !== undefined) childEnv[key] = value;
    }
    const child = spawn(process.execPath, ['-e', SWC_REQUIRE_HOOK, resolve(PROJECT_ROOT, 'src/worker.ts')], {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new TsWorkerProcess(child);
    try {
      await eventually(
        'the worker process to start',
        () => {
          if (worker.exited) throw new Error(`worker exited early:\n${worker.logs.slice(-20).join('\n')}`);
          return worker.logs.some((line) => line.includes('worker started')) || undefined;
        },
        { deadlineMs: timeoutMs, intervalMs: 50 },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return worker;
  }

  /** Log lines that are JSON objects (pino). */
  jsonLogs(): Array<Record<string, unknown>> {
    return this.logs.flatMap((line): Array<Record<string, unknown>> => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed && typeof parsed === 'object' ? [{ ...parsed }] : [];
      } catch {
        return [];
      }
    });
  }

  get isRunning(): boolean {
    return !this.exited;
  }

  /** Sends `signal` and waits for the exit (SIGKILL after 10 s so no test leaves a process behind). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  }
}
