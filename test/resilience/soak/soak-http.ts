import { Agent, request as httpRequest } from 'node:http';

/** One answer as a soak flow needs it: status, API.md error code, parsed JSON body. */
export interface SoakResponse<T = any> {
  status: number;
  body: T;
  /** The error code of an error body (API.md's `code`), undefined on success. */
  code: string | undefined;
  requestId: string | undefined;
}

/** Every request of the run, counted once, whatever process answered it. */
export class RequestStats {
  requests = 0;
  readonly byStatus = new Map<number, number>();
  /** One line per 5xx or transport failure (status 0): seconds into the run, method, path, status, code, request id. */
  readonly serverErrors: string[] = [];
  private readonly startedAt = performance.now();
  private latencies = new Float64Array(1 << 16);

  record(method: string, path: string, response: SoakResponse, ms: number): void {
    if (this.requests === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.requests++] = ms;
    this.byStatus.set(response.status, (this.byStatus.get(response.status) ?? 0) + 1);
    if (response.status === 0 || response.status >= 500) {
      const detail = response.status === 0 ? String(response.body) : `${response.code} ${response.requestId}`;
      const at = ((performance.now() - this.startedAt) / 1000).toFixed(1);
      this.serverErrors.push(`t=${at}s ${method} ${path} -> ${response.status} ${detail}`);
    }
  }

  /** The q-quantile (0..1) of all latencies so far, in ms. */
  quantile(q: number): number {
    if (this.requests === 0) return 0;
    const sorted = this.latencies.slice(0, this.requests).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
}

/**
 * A JSON client over one keep-alive agent per API process (the flows switch processes
 * between requests): cheaper than fetch for hundreds of concurrent loops in the jest
 * process, and every request is timed and counted in `stats`.
 */
export class SoakHttp {
  private readonly agents: Agent[];

  constructor(
    private readonly ports: number[],
    readonly stats: RequestStats,
    maxSocketsPerProcess = 128,
  ) {
    // An idle socket is dropped after 3 s, before the server's 5 s keep-alive timeout closes it:
    // otherwise a request can race the server's close and get ECONNRESET, the client's fault.
    this.agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: maxSocketsPerProcess, timeout: 3000 }));
  }

  get processCount(): number {
    return this.ports.length;
  }

  /** `target` picks the API process (index into the ports). */
  async request<T = any>(
    target: number,
    method: string,
    path: string,
    options: { body?: unknown; token?: string } = {},
  ): Promise<SoakResponse<T>> {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const started = performance.now();
    const response = await new Promise<SoakResponse<T>>((resolve) => {
      const outgoing = httpRequest(
        { host: '127.0.0.1', port: this.ports[target], method, path, headers, agent: this.agents[target] },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', (error) => resolve(transportFailure(error)));
          incoming.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any = text;
            if ((incoming.headers['content-type'] ?? '').includes('json') && text.length > 0) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            const requestId = incoming.headers['x-request-id'];
            resolve({
              status: incoming.statusCode ?? 0,
              body: body as T,
              code: typeof body === 'object' && body !== null && typeof body.code === 'string' ? body.code : undefined,
              requestId: typeof requestId === 'string' ? requestId : undefined,
            });
          });
        },
      );
      outgoing.on('error', (error) => resolve(transportFailure(error)));
      outgoing.end(payload);
    });
    this.stats.record(method, path, response, performance.now() - started);
    return response;
  }

  close(): void {
    for (const agent of this.agents) agent.destroy();
  }
}

/** A reset or refused connection counts like a 5xx: the client got no answer. */
function transportFailure(error: Error): SoakResponse {
  return { status: 0, body: error.message, code: undefined, requestId: undefined };
}
