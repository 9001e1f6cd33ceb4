import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of the
 * key bytes, and the signature is an HMAC-SHA256 over `id.timestamp.body` with those bytes. The
 * receiver's libraries decode the same way, so the prefix and the base64 are part of the contract.
 */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Shown to the endpoint's owner once; store it encrypted, never log it. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** `v1,<base64 HMAC>`; `body` must be the exact string sent, byte for byte. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!Number.isSafeInteger(timestampSeconds)) throw new Error('webhook timestamp must be whole seconds');
  const signature = createHmac('sha256', signingKey(secret))
    .update(`${id}.${timestampSeconds}.`)
    .update(body, 'utf8')
    .digest('base64');
  return `v1,${signature}`;
}

export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}

function signingKey(secret: string): Buffer {
  // The message names no part of the secret: errors end up in logs and delivery records.
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`webhook secret must start with ${SECRET_PREFIX}`);
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (key.length === 0) throw new Error('webhook secret has no key bytes');
  return key;
}
