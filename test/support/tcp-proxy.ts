import { once } from 'node:events';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

/**
 * A TCP relay between the service and one of its dependencies (Redis, PostgreSQL, SMTP), so
 * a test can break that one link, as a network fault would, and mend it again without
 * touching the machine's servers (which other test runs share).
 *
 * - `cut()`: every open connection is reset and the port refuses new ones (ECONNREFUSED).
 * - `partition()`: connections stay open and new ones are accepted, but nothing gets through
 *   (a dropped-packets network fault: no reset, only silence).
 * - `restore()`: the same port accepts and relays again (partitioned connections are reset, as
 *   their peers would have given up on them).
 * - `latencyMs`: each chunk is held that long before it is relayed (order is kept), to make
 *   requests that touch the dependency slow but successful.
 */
export class TcpProxy {
  /** Chunks received so far from either side (before any latency); tests poll it to see traffic start. */
  receivedChunks = 0;
  /** Chunks relayed so far, in either direction. */
  relayedChunks = 0;
  latencyMs = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server;
  private severed = false;
  private partitioned = false;

  private constructor(
    readonly target: ProxyTarget,
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
  }

  static async start(target: ProxyTarget): Promise<TcpProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new TcpProxy(target, (server.address() as AddressInfo).port, server);
    server.on('connection', (client) => proxy.relay(client));
    return proxy;
  }

  /** `redis://127.0.0.1:6379/0` → the same URL through this proxy. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  get isCut(): boolean {
    return this.severed;
  }

  /** Resets every relayed connection and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    if (this.severed) return;
    this.severed = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }

  /** Silently drops everything from now on, in both directions, on old and new connections. */
  partition(): void {
    this.partitioned = true;
  }

  get isPartitioned(): boolean {
    return this.partitioned;
  }

  async restore(): Promise<void> {
    if (this.partitioned) {
      this.partitioned = false;
      for (const socket of this.sockets) socket.resetAndDestroy();
      this.sockets.clear();
    }
    if (!this.severed) return;
    const server = createServer();
    server.on('connection', (client) => this.relay(client));
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.severed = false;
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private relay(client: Socket): void {
    if (this.severed) {
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    if (this.partitioned) {
      // Accepted, then silence: the client's connect succeeds and its first query never returns.
      client.on('data', () => (this.receivedChunks += 1));
      return;
    }
    const upstream = new Socket();
    this.track(upstream);
    // Until the upstream connects, whatever the client sends waits in its socket buffer.
    client.pause();
    upstream.connect(this.target.port, this.target.host, () => client.resume());
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Relays `from` → `to`, holding each chunk `latencyMs`, and mirrors a close or reset. */
  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      this.receivedChunks += 1;
      if (this.partitioned) return;
      // Latency, not bandwidth: each chunk is due `latencyMs` after it arrived, so chunks that
      // arrive together leave together (the chain only keeps their order).
      const dueAt = Date.now() + this.latencyMs;
      chain = chain.then(async () => {
        const wait = dueAt - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!to.destroyed && !this.partitioned) {
          this.relayedChunks += 1;
          to.write(chunk);
        }
      });
    });
    // A partition lets nothing through, not even a FIN or a reset.
    from.on('end', () => void chain.then(() => !this.partitioned && to.end()));
    from.on('close', (hadError) => {
      void chain.then(() => {
        if (this.partitioned) return;
        if (hadError) to.resetAndDestroy();
        else to.end();
      });
    });
  }
}
