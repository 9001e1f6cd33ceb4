import { classifyHttpProviderError, classifyNetworkError, DeliveryError } from '../delivery.errors';
import type { DeliveryTransport, OutgoingMessage, TransportResult } from './delivery-transport';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  baseUrl: string;
}

/** SMS through Twilio's Messages API (form-encoded POST, HTTP Basic). */
export class TwilioSmsTransport implements DeliveryTransport {
  readonly channel = 'sms' as const;
  readonly provider = 'twilio';

  constructor(
    private readonly settings: TwilioSettings,
    private readonly timeoutMs: number,
    /** Builds the StatusCallback URL for a message, or undefined when PUBLIC_BASE_URL is unset. */
    private readonly statusCallbackFor: (messageId: string) => string | undefined,
  ) {}

  async send(message: OutgoingMessage): Promise<TransportResult> {
    const { accountSid, authToken, from, baseUrl } = this.settings;
    const form = new URLSearchParams({ To: message.to, From: from, Body: message.text });
    const callback = this.statusCallbackFor(message.id);
    if (callback) form.set('StatusCallback', callback);
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw classifyNetworkError('twilio', error);
    }
    const body = await readJson(response);
    if (!response.ok) throw classifyHttpProviderError('twilio', response.status, body);
    const sid = (body as { sid?: unknown } | undefined)?.sid;
    if (typeof sid !== 'string') throw new DeliveryError('temporary', 'twilio answered without a message sid');
    return { providerMessageId: sid };
  }
}

export async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}
