import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from './eventually';
import { freePort } from './service-process';

const MASTER_NAME = 'secureauth-test';

/**
 * A Redis master, one replica and three Sentinels (quorum 2) from the machine's redis-server,
 * on free ports and a temp dir of their own, for a test that kills the master and watches
 * Sentinel promote the replica.
 */
export class RedisSentinelSet {
  private readonly servers = new Map<number, ChildProcess>();

  private constructor(
    private readonly dir: string,
    private masterPort: number,
    private replicaPort: number,
    readonly sentinelPorts: number[],
  ) {}

  static async start({ downAfterMs = 1000 } = {}): Promise<RedisSentinelSet> {
    const dir = await mkdtemp(join(tmpdir(), 'sa-sentinel-'));
    const [master, replica, ...sentinels] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
    const set = new RedisSentinelSet(dir, master, replica, sentinels);
    await set.spawn(master, []);
    await set.spawn(replica, ['--replicaof', '127.0.0.1', String(master)]);
    await set.waitForReplica();
    for (const port of sentinels) {
      const config = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
          `sentinel failover-timeout ${MASTER_NAME} 5000`,
        ].join('\n'),
      );
      await set.spawn(port, ['--sentinel'], config);
    }
    // Every Sentinel knows the replica (it learns it from the master's INFO) before a failover can pick it.
    await eventually('the Sentinels to know the replica', async () => {
      const counts = await Promise.all(sentinels.map((port) => set.ask(port, ['sentinel', 'replicas', MASTER_NAME])));
      return counts.every((replicas) => (replicas as unknown[]).length === 1) ? true : undefined;
    });
    return set;
  }

  /** What the service needs to find the master through the Sentinels. */
  get env(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      REDIS_SENTINEL_NAME: MASTER_NAME,
    };
  }

  get master(): number {
    return this.masterPort;
  }

  /** Until the replica has every write the master has acknowledged (replication is asynchronous). */
  async waitForReplica(): Promise<void> {
    await eventually('the replica to catch up with the master', async () => {
      const [master, replica] = await Promise.all([
        this.ask(this.masterPort, ['info', 'replication']),
        this.ask(this.replicaPort, ['info', 'replication']),
      ]);
      const linked = infoField(replica, 'master_link_status') === 'up';
      const caughtUp = infoField(master, 'master_repl_offset') === infoField(replica, 'slave_repl_offset');
      return linked && caughtUp ? true : undefined;
    });
  }

  /** SIGKILL: the master vanishes without a word, as a crashed host would. */
  killMaster(): void {
    this.servers.get(this.masterPort)?.kill('SIGKILL');
  }

  /** Until the Sentinels name the former replica as master; returns its port. */
  async waitForPromotion(deadlineMs = 20_000): Promise<number> {
    const promoted = await eventually(
      'Sentinel to promote the replica',
      async () => {
        const [, port] = (await this.ask(this.sentinelPorts[0], [
          'sentinel',
          'get-master-addr-by-name',
          MASTER_NAME,
        ])) as [string, string];
        return Number(port) === this.replicaPort ? Number(port) : undefined;
      },
      { deadlineMs, intervalMs: 100 },
    );
    [this.masterPort, this.replicaPort] = [this.replicaPort, this.masterPort];
    return promoted;
  }

  async stop(): Promise<void> {
    for (const child of this.servers.values()) child.kill('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A redis-server on `port`, nothing kept on disk; a Sentinel reads (and rewrites) its config file. */
  private async spawn(port: number, args: string[], configFile?: string): Promise<void> {
    const argv = [
      ...(configFile ? [configFile] : []),
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      ...args,
    ];
    const child = spawn('redis-server', argv, { stdio: 'ignore' });
    this.servers.set(port, child);
    await eventually(
      `redis-server on ${port}`,
      async () => ((await this.ask(port, ['ping'])) === 'PONG' ? true : undefined),
      {
        retryErrors: true,
      },
    );
  }

  private async ask(port: number, command: string[]): Promise<unknown> {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await client.connect();
      return await client.call(command[0], ...command.slice(1));
    } finally {
      client.disconnect();
    }
  }
}

function infoField(info: unknown, name: string): string | undefined {
  return new RegExp(`(?:^|\\n)${name}:([^\\r\\n]*)`).exec(String(info))?.[1];
}
