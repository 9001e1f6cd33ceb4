import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { eventually } from './eventually';
import { HttpClient } from './http-client';

export const PROJECT_ROOT = resolve(__dirname, '../..');
/**
 * The build the processes run: `tsc -p tsconfig.build.json` like `npm run build`, but in a
 * directory of its own, because anyone's `npm run build` or `npm run openapi` deletes dist/
 * and a run must not lose its binaries halfway (the resilience global setup builds it).
 */
export const SERVICE_BUILD_DIR = resolve(PROJECT_ROOT, 'node_modules/.cache/secureauth-resilience/build');
const ENTRY_POINTS = { api: 'src/main.js', worker: 'src/worker.js' } as const;

/** The node flags production starts with (package.json "config".node_flags, used by npm start*). */
const PRODUCTION_NODE_FLAGS: string[] = (
  JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')) as { config: { node_flags: string } }
).config.node_flags.split(' ');

export type ServiceKind = keyof typeof ENTRY_POINTS;

export interface ServiceProcessOptions {
  kind?: ServiceKind;
  /** Added to the test process's environment (setup-env.ts defaults), `undefined` removes one. */
  env: Record<string, string | undefined>;
  /** How long the process may take to become live. */
  startTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A free local port: main.ts listens on the configured PORT and does not report a port 0 choice. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * The BUILT service (`node <build>/src/main.js` or `<build>/src/worker.js`) as a real child process,
 * as production runs it: its own event loop, its own connections, real signals.
 */
export class ServiceProcess {
  readonly logs: string[] = [];
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  private constructor(
    readonly kind: ServiceKind,
    readonly child: ChildProcess,
    readonly port: number | undefined,
  ) {
    const collect = (chunk: Buffer) => this.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((done) => {
      child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        done(this.exitStatus);
      });
    });
  }

  static async start({ kind = 'api', env, startTimeoutMs = 20_000 }: ServiceProcessOptions): Promise<ServiceProcess> {
    const entry = resolve(SERVICE_BUILD_DIR, ENTRY_POINTS[kind]);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: the resilience global setup builds it`);
    const port = kind === 'api' ? await freePort() : undefined;
    const childEnv: Record<string, string> = {};
    const merged = {
      ...process.env,
      // As npm start* runs it (see PRODUCTION_NODE_FLAGS).
      MALLOC_ARENA_MAX: '2',
      LOG_LEVEL: 'info',
      ...env,
      ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
    };
    for (const [key, value] of Object.entries(merged)) if (value !== undefined) childEnv[key] = value;
    const child = spawn(process.execPath, [...PRODUCTION_NODE_FLAGS, entry], {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(kind, child, port);
    try {
      await eventually(
        `${kind} process to start`,
        async () => {
          if (service.exitStatus) {
            throw new Error(`exited early ${JSON.stringify(service.exitStatus)}:\n${service.logTail()}`);
          }
          if (kind === 'worker') return service.logs.some((line) => line.includes('worker started')) || undefined;
          const response = await fetch(`${service.url}/health/live`);
          return response.status === 200 || undefined;
        },
        { deadlineMs: startTimeoutMs, intervalMs: 100, retryErrors: true },
      );
    } catch (error) {
      child.kill('SIGKILL');
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}\n--- logs ---\n${service.logTail()}`);
    }
    return service;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get url(): string {
    if (this.port === undefined) throw new Error('a worker process has no HTTP port');
    return `http://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.exitStatus === undefined;
  }

  http(headers: Record<string, string> = {}): HttpClient {
    return new HttpClient(this.url, headers);
  }

  /** Log lines as JSON objects (pino); lines that are not JSON are skipped. */
  jsonLogs(): Record<string, unknown>[] {
    return this.logs.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown> | null;
        return parsed && typeof parsed === 'object' ? [parsed] : [];
      } catch {
        return [];
      }
    });
  }

  logTail(lines = 40): string {
    return this.logs.slice(-lines).join('\n');
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs` so no test leaves a process behind. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((done) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        done();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}
