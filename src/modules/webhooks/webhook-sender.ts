import type { LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  checkWebhookUrl,
  resolvePublicAddress,
  WebhookDestinationRefused,
  type PinnedAddress,
} from './webhook-destination';

export interface WebhookRequest {
  url: string;
  /** The Standard Webhooks headers; content type and length are set here. */
  headers: Record<string, string>;
  /** The JSON text that was signed, sent byte for byte. */
  body: string;
  /** For everything: DNS, connect, TLS, sending, and the answer up to the limit. */
  timeoutMs: number;
  allowPrivate: boolean;
  maxResponseBytes?: number;
}

export interface WebhookResponse {
  /** Any status, 3xx included: redirects are never followed. */
  status: number;
  latencyMs: number;
  /** At most maxResponseBytes of the answer, as UTF-8. */
  responseBody: string;
}

export type WebhookSendErrorKind = 'timeout' | 'network' | 'refused';

/** Messages name the host, never the URL (its query may carry a token) nor a header. */
export class WebhookSendError extends Error {
  constructor(
    readonly kind: WebhookSendErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebhookSendError';
  }
}

const USER_AGENT = 'SecureAuth-Webhooks/1.0';

/**
 * POSTs one webhook. DNS is asked once, the answer checked, and the connection made to that
 * very address (a second lookup at connect time could answer differently: DNS rebinding),
 * while the hostname still goes into Host, SNI and the certificate check.
 */
export async function sendWebhook({
  url,
  headers,
  body,
  timeoutMs,
  allowPrivate,
  maxResponseBytes = 4096,
}: WebhookRequest): Promise<WebhookResponse> {
  const startedAt = performance.now();
  const problem = checkWebhookUrl(url);
  if (problem) throw new WebhookSendError('refused', `webhook URL ${problem}`);
  const target = new URL(url);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    const pinned = await untilAborted(resolvePublicAddress(target.hostname, { allowPrivate }), deadline.signal);
    const { status, responseBody } = await post(target, pinned, headers, body, maxResponseBytes, deadline.signal);
    return { status, responseBody, latencyMs: Math.round(performance.now() - startedAt) };
  } catch (error) {
    if (error instanceof WebhookDestinationRefused) throw new WebhookSendError('refused', error.message);
    if (deadline.signal.aborted) {
      throw new WebhookSendError('timeout', `${target.host} did not answer within ${timeoutMs} ms`);
    }
    throw new WebhookSendError('network', `could not reach ${target.host}: ${errorText(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function post(
  target: URL,
  pinned: PinnedAddress,
  headers: Record<string, string>,
  body: string,
  maxResponseBytes: number,
  signal: AbortSignal,
): Promise<{ status: number; responseBody: string }> {
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const request: ClientRequest = send({
      method: 'POST',
      protocol: target.protocol,
      hostname: unbracket(target.hostname),
      port: target.port || undefined,
      path: target.pathname + target.search,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body, 'utf8'),
        'user-agent': USER_AGENT,
      },
      lookup: pinnedLookup(pinned),
      // A fresh connection each time: a pooled one may have been opened to an address checked for another send.
      agent: false,
      signal,
    });
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    request.on('error', (error) => finish(() => reject(error)));
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let received = 0;
      const done = () => {
        finish(() => resolve({ status, responseBody: Buffer.concat(chunks).toString('utf8') }));
        // The rest of an answer is not worth its bandwidth; closing also stops a peer that never ends.
        request.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        const kept = chunk.subarray(0, maxResponseBytes - received);
        chunks.push(kept);
        received += kept.length;
        if (received >= maxResponseBytes) done();
      });
      response.on('end', done);
      response.on('error', (error) => finish(() => reject(error)));
      if (maxResponseBytes <= 0) done();
    });
    request.end(body, 'utf8');
  });
}

/**
 * Answers the checked address whatever name is asked. Node asks for every address (`all`)
 * when it races IPv4 against IPv6 (autoSelectFamily), and for one otherwise.
 */
function pinnedLookup({ address, family }: PinnedAddress): LookupFunction {
  return (
    _hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // A lookup cannot be cancelled (getaddrinfo runs on the thread pool); the send stops waiting for it.
  const aborted = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
  return Promise.race([work, aborted]);
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function errorText(error: unknown): string {
  // Duck-typed: errors raised inside Node's core may come from another realm (vm contexts, test runners).
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') return 'unknown error';
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
