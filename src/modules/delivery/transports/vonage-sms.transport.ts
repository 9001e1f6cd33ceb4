import { classifyNetworkError, DeliveryError, type DeliveryFailureKind } from '../delivery.errors';
import type { DeliveryTransport, OutgoingMessage, TransportResult } from './delivery-transport';
import { readJson } from './twilio-sms.transport';

export interface VonageSettings {
  apiKey: string;
  apiSecret: string;
  from: string;
  baseUrl: string;
}

/**
 * Vonage SMS API `status` codes (developer.vonage.com, "SMS API: troubleshooting"): what each
 * failure means for us. Throttled and internal errors pass; a barred number never receives;
 * the rest is a request or account problem another try will not fix.
 */
const VONAGE_STATUS: Record<string, DeliveryFailureKind> = {
  '1': 'temporary', // Throttled
  '2': 'rejected', // Missing Parameters
  '3': 'rejected', // Invalid Parameters
  '4': 'rejected', // Invalid Credentials
  '5': 'temporary', // Internal Error
  '6': 'rejected', // Invalid Message
  '7': 'bounce', // Number Barred
  '8': 'rejected', // Partner Account Barred
  '9': 'rejected', // Partner Quota Violation
  '29': 'rejected', // Non-Whitelisted Destination
};

/** Characters of the GSM 03.38 default alphabet (and its extension table): anything else needs `type: unicode`. */
const GSM_7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

export function isGsm7(text: string): boolean {
  return GSM_7.test(text);
}

/** What a non-zero Vonage status means: unknown codes are retried, never blamed on the number. */
export function classifyVonageStatus(status: string, errorText: string): DeliveryError {
  return new DeliveryError(
    VONAGE_STATUS[status] ?? 'temporary',
    `vonage status ${status}: ${errorText}`.slice(0, 300),
    status,
  );
}

/**
 * SMS through Vonage's SMS API (`POST /sms/json`, form-encoded, key and secret in the body).
 * Vonage answers 200 for accepted and refused messages alike: the verdict is `messages[0].status`.
 * Chosen as the second provider for that simple synchronous contract and its per-message status
 * codes (MessageBird has since become Bird, with a different API).
 */
export class VonageSmsTransport implements DeliveryTransport {
  readonly channel = 'sms' as const;
  readonly provider = 'vonage';

  constructor(
    private readonly settings: VonageSettings,
    private readonly timeoutMs: number,
  ) {}

  async send(message: OutgoingMessage): Promise<TransportResult> {
    const { apiKey, apiSecret, from, baseUrl } = this.settings;
    const form = new URLSearchParams({
      api_key: apiKey,
      api_secret: apiSecret,
      from,
      to: message.to.replace(/^\+/, ''),
      text: message.text,
      'client-ref': message.id,
    });
    if (!isGsm7(message.text)) form.set('type', 'unicode');
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/sms/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw classifyNetworkError('vonage', error);
    }
    const body = (await readJson(response)) as
      { messages?: Array<{ status?: unknown; 'message-id'?: unknown; 'error-text'?: unknown }> } | undefined;
    if (response.status === 429 || response.status >= 500) {
      throw new DeliveryError('temporary', `vonage HTTP ${response.status}`);
    }
    const [result] = body?.messages ?? [];
    if (!response.ok || !result) throw new DeliveryError('rejected', `vonage HTTP ${response.status}`);
    const status = typeof result.status === 'string' || typeof result.status === 'number' ? String(result.status) : '';
    const errorText = typeof result['error-text'] === 'string' ? result['error-text'] : '';
    if (status !== '0') throw classifyVonageStatus(status, errorText);
    const id = result['message-id'];
    if (typeof id !== 'string') throw new DeliveryError('temporary', 'vonage answered without a message-id');
    return { providerMessageId: id, provider: this.provider };
  }
}
