import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One range request as the server received it. */
export interface RangeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** Upper-case hex SHA-1, as Pwned Passwords indexes passwords. */
export function sha1Hex(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}

/**
 * The Pwned Passwords range API as the service calls it: GET /range/{first 5 hex of SHA-1},
 * answered with every known suffix under that prefix as `SUFFIX:COUNT` lines (CRLF), among
 * random other suffixes; with `Add-Padding: true`, zero-count padding lines too, as the real
 * API pads. `pad(password)` makes one padding line carry that password's own suffix (count 0:
 * a decoy, not a breach). `delayMs` holds every answer; `failWith` answers that status.
 */
export class PwnedPasswordsTestServer {
  readonly requests: RangeRequest[] = [];
  delayMs = 0;
  failWith?: number;
  private readonly breached = new Map<string, number>();
  private readonly padded = new Set<string>();
  private server?: Server;
  private readonly held = new Set<NodeJS.Timeout>();
  port = 0;

  static start(): Promise<PwnedPasswordsTestServer> {
    return new PwnedPasswordsTestServer().listen();
  }

  async listen(): Promise<this> {
    this.server = createServer((request, response) => {
      const path = request.url ?? '';
      this.requests.push({ method: request.method ?? '', path, headers: request.headers });
      const match = /^\/range\/([0-9A-F]{5})$/.exec(path);
      if (request.method !== 'GET' || !match) {
        response.writeHead(404).end('Not found');
        return;
      }
      const answer = () => {
        if (this.failWith !== undefined) {
          response.writeHead(this.failWith, { 'content-type': 'text/plain' }).end('error');
          return;
        }
        const body = this.rangeOf(match[1], request.headers['add-padding'] === 'true');
        response.writeHead(200, { 'content-type': 'text/plain' }).end(body);
      };
      if (this.delayMs <= 0) return answer();
      const timer = setTimeout(() => {
        this.held.delete(timer);
        answer();
      }, this.delayMs);
      this.held.add(timer);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get rangeUrl(): string {
    return `http://127.0.0.1:${this.port}/range/`;
  }

  /** Environment for startTestApp. */
  env(mode: 'off' | 'warn' | 'block'): Record<string, string> {
    return { BREACHED_PASSWORD_CHECK: mode, HIBP_RANGE_URL: this.rangeUrl };
  }

  addBreached(password: string, count = 42): void {
    this.breached.set(sha1Hex(password), count);
  }

  pad(password: string): void {
    this.padded.add(sha1Hex(password));
  }

  async close(): Promise<void> {
    for (const timer of this.held) clearTimeout(timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private rangeOf(prefix: string, withPadding: boolean): string {
    const lines: string[] = [];
    for (const [hash, count] of this.breached) if (hash.startsWith(prefix)) lines.push(`${hash.slice(5)}:${count}`);
    for (let i = 0; i < 20; i++) lines.push(`${randomSuffix()}:${randomInt(1, 5000)}`);
    if (withPadding) {
      for (const hash of this.padded) if (hash.startsWith(prefix)) lines.push(`${hash.slice(5)}:0`);
      for (let i = 0; i < 20; i++) lines.push(`${randomSuffix()}:0`);
    }
    return lines.sort().join('\r\n');
  }
}

function randomSuffix(): string {
  return randomBytes(18).toString('hex').slice(0, 35).toUpperCase();
}
