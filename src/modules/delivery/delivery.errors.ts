/**
 * How a provider failure is handled:
 * - temporary: retried with backoff (SMTP 4xx / connection errors, HTTP 429 / 5xx, timeouts);
 * - bounce: the destination itself is bad (SMTP 5xx, Twilio 21211/21610, WhatsApp 131026):
 *   no retry, the destination is suppressed;
 * - rejected: the provider refuses the request for another reason (credentials, malformed
 *   request): no retry, but the destination is not blamed.
 */
export type DeliveryFailureKind = 'temporary' | 'bounce' | 'rejected';

export class DeliveryError extends Error {
  constructor(
    readonly kind: DeliveryFailureKind,
    message: string,
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Thrown by the processor for a retryable failure; carries what the backoff needs to stay within the code's lifetime. */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    /** Milliseconds left before the message expires, measured when the attempt failed. */
    readonly remainingMs: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/** Twilio error codes that mean "this number will never receive it". */
const TWILIO_BOUNCE_CODES = new Set(['21211', '21610', '21612', '21614', '21408']);
/** WhatsApp Cloud API error codes that mean the recipient cannot be reached. */
const WHATSAPP_BOUNCE_CODES = new Set(['131026', '131021']);

/** SMTP: 5xx on RCPT/DATA is permanent; 4xx and anything without a reply (connection, timeout) is temporary. */
export function classifySmtpError(error: unknown): DeliveryError {
  const { responseCode, code, message } = (error ?? {}) as {
    responseCode?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const text = typeof message === 'string' ? message.slice(0, 300) : 'SMTP error';
  if (typeof responseCode === 'number') {
    if (responseCode >= 500) return new DeliveryError('bounce', `SMTP ${responseCode}: ${text}`, String(responseCode));
    return new DeliveryError('temporary', `SMTP ${responseCode}: ${text}`, String(responseCode));
  }
  return new DeliveryError('temporary', `SMTP ${typeof code === 'string' ? code : 'error'}: ${text}`);
}

export type HttpProvider = 'twilio' | 'whatsapp';

/** Twilio / WhatsApp Cloud API answers other than success. */
export function classifyHttpProviderError(provider: HttpProvider, status: number, body: unknown): DeliveryError {
  const providerCode = providerErrorCode(provider, body);
  const label = `${provider} HTTP ${status}${providerCode ? ` code ${providerCode}` : ''}`;
  if (status === 429 || status >= 500) return new DeliveryError('temporary', label, providerCode);
  const bounceCodes = provider === 'twilio' ? TWILIO_BOUNCE_CODES : WHATSAPP_BOUNCE_CODES;
  if (providerCode && bounceCodes.has(providerCode)) return new DeliveryError('bounce', label, providerCode);
  return new DeliveryError('rejected', label, providerCode);
}

/** A fetch that never got an answer (timeout, refused, reset) is worth another try. */
export function classifyNetworkError(provider: string, error: unknown): DeliveryError {
  const name = (error as { name?: unknown })?.name;
  const reason = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network error';
  return new DeliveryError('temporary', `${provider} ${reason}`);
}

function providerErrorCode(provider: HttpProvider, body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const code =
    provider === 'twilio' ? (body as { code?: unknown }).code : (body as { error?: { code?: unknown } }).error?.code;
  return typeof code === 'number' || typeof code === 'string' ? String(code) : undefined;
}
