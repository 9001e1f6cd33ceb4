import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventually } from './eventually';

/** One request the receiver got, whatever it answered. */
export interface ReceivedWebhook {
  /** The `webhook-id` header (the body's `id` too, when the sender is right). */
  id: string;
  /** The body's `type`, or '' when the body is not a JSON event. */
  type: string;
  /** The parsed JSON body, or the raw text when it does not parse. */
  body: unknown;
  rawBody: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Signature and timestamp checked by the Standard Webhooks reference library against the current secret. */
  verified: boolean;
  /** Why verification failed ("No matching signature found", "Message timestamp too new" after moving a clock…). */
  verificationError?: string;
  /** The status answered; undefined for a request held unanswered (`hangNext`). */
  status?: number;
  receivedAt: number;
}

type Reply = { kind: 'fail'; status: number } | { kind: 'hang' } | { kind: 'redirect'; location: string };

/**
 * A webhook endpoint for e2e tests, on 127.0.0.1 and a random port (so the app under test needs
 * WEBHOOK_ALLOW_PRIVATE=true). It records every request, verifies each one as a customer's
 * endpoint would, and answers the scripted replies first, in the order scripted, then 200. A
 * failed verification is recorded, not refused: the test decides what it means.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  port = 0;
  private readonly script: Reply[] = [];
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));

  private constructor(private secret: string | undefined) {}

  static async start(secret?: string): Promise<WebhookReceiver> {
    const self = new WebhookReceiver(secret);
    await new Promise<void>((resolve, reject) => {
      self.server.once('error', reject);
      self.server.listen(0, '127.0.0.1', () => resolve());
    });
    self.port = (self.server.address() as AddressInfo).port;
    return self;
  }

  url(path = '/webhooks'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The secret the next requests are verified with (an endpoint created after the receiver, a rotation). */
  setSecret(secret: string): void {
    this.secret = secret;
  }

  /** The next `count` requests are answered `status`. */
  failNext(count: number, status = 500): void {
    for (let i = 0; i < count; i++) this.script.push({ kind: 'fail', status });
  }

  /** The next `count` requests get no answer at all, until the sender gives up (its timeout). */
  hangNext(count: number): void {
    for (let i = 0; i < count; i++) this.script.push({ kind: 'hang' });
  }

  /** The next `count` requests are answered 302 to `location`. */
  redirectNext(count: number, location: string): void {
    for (let i = 0; i < count; i++) this.script.push({ kind: 'redirect', location });
  }

  /** Every request received, in order, retries included; only those of one event type when given. */
  /** Drops the replies still scripted: from now on every request is answered 200. */
  answerNormally(): void {
    this.script.length = 0;
  }

  events(type?: string): ReceivedWebhook[] {
    return type === undefined ? [...this.received] : this.received.filter((event) => event.type === type);
  }

  /** The first request matching `predicate`, waiting for it until the deadline. */
  waitFor(predicate: (event: ReceivedWebhook) => boolean, deadlineMs = 10_000): Promise<ReceivedWebhook> {
    return eventually('a webhook matching the predicate', () => this.received.find(predicate), {
      deadlineMs,
      intervalMs: 20,
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const body = parseJson(rawBody);
    const event: ReceivedWebhook = {
      id: headerValue(request.headers['webhook-id']),
      type: typeOf(body),
      body,
      rawBody,
      path: request.url ?? '',
      headers: request.headers,
      ...this.verify(rawBody, request.headers),
      receivedAt: Date.now(),
    };
    this.received.push(event);
    const reply = this.script.shift();
    if (reply?.kind === 'hang') return;
    event.status = reply?.kind === 'fail' ? reply.status : reply?.kind === 'redirect' ? 302 : 200;
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (reply?.kind === 'redirect') headers.location = reply.location;
    response.writeHead(event.status, headers).end(event.status === 200 ? 'ok' : 'scripted');
  }

  private verify(
    rawBody: string,
    headers: IncomingMessage['headers'],
  ): Pick<ReceivedWebhook, 'verified' | 'verificationError'> {
    if (!this.secret) return { verified: false, verificationError: 'the receiver has no secret' };
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = headerValue(value);
    try {
      new Webhook(this.secret).verify(rawBody, flat, { jsonParse: false });
      return { verified: true };
    } catch (error) {
      return { verified: false, verificationError: error instanceof Error ? error.message : String(error) };
    }
  }
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function typeOf(body: unknown): string {
  const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : '';
}
