import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CAPTCHA_TEST_SECRET = 'test-captcha-secret-0123456789';

/** One siteverify call the service made. */
export interface SiteverifyRequest {
  contentType: string | undefined;
  secret: string | null;
  response: string | null;
  remoteip: string | null;
}

/**
 * A CAPTCHA provider's server side as Cloudflare Turnstile and hCaptcha speak it: POST
 * /siteverify, form fields `secret`, `response` (the widget's token), `remoteip`; 200 JSON
 * `{success, challenge_ts, hostname, "error-codes"}`. Tokens come from `solve()` (what a
 * person solving the widget hands the browser) and are single use, as the real ones are.
 * `failNext(status)` answers an HTTP error, `holdNext()` never answers (a provider outage).
 */
export class CaptchaTestServer {
  readonly requests: SiteverifyRequest[] = [];
  private readonly solved = new Set<string>();
  private readonly spent = new Set<string>();
  private readonly script: Array<{ status: number } | 'hold'> = [];
  private server?: Server;
  private port = 0;

  static async start(): Promise<CaptchaTestServer> {
    const server = new CaptchaTestServer();
    server.server = createServer((request, response) => void server.handle(request, response));
    await new Promise<void>((resolve) => server.server!.listen(0, '127.0.0.1', () => resolve()));
    server.port = (server.server.address() as AddressInfo).port;
    return server;
  }

  get verifyUrl(): string {
    return `http://127.0.0.1:${this.port}/siteverify`;
  }

  env(): Record<string, string> {
    return { CAPTCHA_VERIFY_URL: this.verifyUrl, CAPTCHA_SECRET: CAPTCHA_TEST_SECRET };
  }

  /** A token as the widget gives it after a person solved the challenge. */
  solve(): string {
    const token = `0.${randomBytes(48).toString('base64url')}`;
    this.solved.add(token);
    return token;
  }

  failNext(status: number): void {
    this.script.push({ status });
  }

  holdNext(): void {
    this.script.push('hold');
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || request.url !== '/siteverify') {
      response.writeHead(404).end();
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const call: SiteverifyRequest = {
      contentType: request.headers['content-type'],
      secret: form.get('secret'),
      response: form.get('response'),
      remoteip: form.get('remoteip'),
    };
    this.requests.push(call);
    const scripted = this.script.shift();
    if (scripted === 'hold') return;
    if (scripted) {
      response.writeHead(scripted.status, { 'content-type': 'text/html' }).end('<h1>upstream error</h1>');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.verdict(call)));
  }

  private verdict(call: SiteverifyRequest): Record<string, unknown> {
    const failure = (code: string) => ({ success: false, 'error-codes': [code] });
    if (!call.secret) return failure('missing-input-secret');
    if (call.secret !== CAPTCHA_TEST_SECRET) return failure('invalid-input-secret');
    if (!call.response) return failure('missing-input-response');
    if (this.spent.has(call.response)) return failure('timeout-or-duplicate');
    if (!this.solved.has(call.response)) return failure('invalid-input-response');
    this.solved.delete(call.response);
    this.spent.add(call.response);
    return {
      success: true,
      challenge_ts: new Date().toISOString(),
      hostname: 'localhost',
      'error-codes': [],
    };
  }
}
