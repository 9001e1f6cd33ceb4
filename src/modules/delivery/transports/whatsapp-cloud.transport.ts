import { classifyHttpProviderError, classifyNetworkError, DeliveryError } from '../delivery.errors';
import type { DeliveryTransport, OutgoingMessage, TransportResult } from './delivery-transport';
import { readJson } from './twilio-sms.transport';

export interface WhatsappSettings {
  token: string;
  phoneNumberId: string;
  baseUrl: string;
}

/** WhatsApp through the Cloud API (JSON POST, bearer token). */
export class WhatsappCloudTransport implements DeliveryTransport {
  readonly channel = 'whatsapp' as const;
  readonly provider = 'cloud-api';

  constructor(
    private readonly settings: WhatsappSettings,
    private readonly timeoutMs: number,
  ) {}

  async send(message: OutgoingMessage): Promise<TransportResult> {
    const { token, phoneNumberId, baseUrl } = this.settings;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/${encodeURIComponent(phoneNumberId)}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          // The Cloud API wants the number without the leading +.
          to: message.to.replace(/^\+/, ''),
          type: 'text',
          text: { body: message.text },
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw classifyNetworkError('whatsapp', error);
    }
    const body = await readJson(response);
    if (!response.ok) throw classifyHttpProviderError('whatsapp', response.status, body);
    const id = (body as { messages?: Array<{ id?: unknown }> } | undefined)?.messages?.[0]?.id;
    if (typeof id !== 'string') throw new DeliveryError('temporary', 'whatsapp answered without a message id');
    return { providerMessageId: id.slice(0, 128) };
  }
}
