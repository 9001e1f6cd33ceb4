import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from './eventually';

/** One request a fake provider received. */
export interface ProviderRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** The recipient as the provider sees it (Twilio: E.164; WhatsApp: digits). */
  to: string;
  /** The message text. */
  text: string;
  /** The answer given (status), or undefined while held. */
  status?: number;
  receivedAt: number;
}

export interface ScriptedReply {
  status: number;
  body: unknown;
}

export interface WaitOptions {
  deadlineMs?: number;
  /** Only messages after this many to the same recipient. */
  skip?: number;
}

/**
 * A local HTTP server speaking a provider's wire format: it records every request and
 * answers the scripted replies first (the providers' real error codes), then success.
 * `holdNext()` keeps the next request unanswered until released (to kill a sender mid-send).
 */
export abstract class ProviderTestServer {
  readonly requests: ProviderRequest[] = [];
  private readonly script: ScriptedReply[] = [];
  private readonly holds: Array<{ reached: () => void; released: Promise<void> }> = [];
  private server?: Server;
  port = 0;

  protected abstract parse(request: IncomingMessage, rawBody: string): { to: string; text: string } | undefined;
  protected abstract success(request: ProviderRequest): ScriptedReply;

  async listen(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next requests get these answers, in order. */
  replyNext(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  holdNext(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((done) => (release = done));
    const reachedPromise = new Promise<void>((done) => (reached = done));
    this.holds.push({ reached, released });
    return { reached: reachedPromise, release };
  }

  /** Requests to `to` that were answered with success. */
  delivered(to: string): ProviderRequest[] {
    return this.requests.filter((request) => request.to === to && request.status !== undefined && request.status < 300);
  }

  async waitForMessage(to: string, { deadlineMs = 10_000, skip = 0 }: WaitOptions = {}): Promise<ProviderRequest> {
    return eventually(`a message to ${to}`, () => this.delivered(to)[skip], { deadlineMs, intervalMs: 20 });
  }

  async waitForCode(to: string, options: WaitOptions = {}): Promise<string> {
    const message = await this.waitForMessage(to, options);
    const match = /\b(\d{6})\b/.exec(message.text);
    if (!match) throw new Error(`no code in the message to ${to}`);
    return match[1];
  }

  /** Waits for one more successful message to `to` than there are now; call it before triggering the send. */
  nextCode(to: string, options: Omit<WaitOptions, 'skip'> = {}): Promise<string> {
    return this.waitForCode(to, { ...options, skip: this.delivered(to).length });
  }

  async close(): Promise<void> {
    for (const hold of this.holds) hold.reached();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const parsed = this.parse(request, rawBody);
    if (!parsed) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const record: ProviderRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      rawBody,
      ...parsed,
      receivedAt: Date.now(),
    };
    this.requests.push(record);
    const hold = this.holds.shift();
    if (hold) {
      hold.reached();
      await hold.released;
      if (request.socket.destroyed) return;
    }
    const reply = this.script.shift() ?? this.success(record);
    record.status = reply.status;
    response.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
  }
}
