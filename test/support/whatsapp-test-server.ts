import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ProviderTestServer, type ProviderRequest, type ScriptedReply } from './provider-test-server';

export const WHATSAPP_TEST_ACCOUNT = { token: 'test-whatsapp-token', phoneNumberId: '1234567890' };

/**
 * The WhatsApp Cloud API as the service calls it: POST /{phone-number-id}/messages, Bearer
 * token, JSON text message; 200 {"messages":[{"id":"wamid…"}]}. Errors as Meta sends them:
 * e.g. `WhatsappTestServer.error(400, 131026)`. `to` is recorded with a leading + (E.164).
 */
export class WhatsappTestServer extends ProviderTestServer {
  static start(): Promise<WhatsappTestServer> {
    return new WhatsappTestServer().listen();
  }

  static error(status: number, code?: number): ScriptedReply {
    return { status, body: { error: { message: 'test error', type: 'OAuthException', code: code ?? status } } };
  }

  env(): Record<string, string> {
    return {
      WHATSAPP_PROVIDER: 'cloud-api',
      WHATSAPP_TOKEN: WHATSAPP_TEST_ACCOUNT.token,
      WHATSAPP_PHONE_NUMBER_ID: WHATSAPP_TEST_ACCOUNT.phoneNumberId,
      WHATSAPP_BASE_URL: this.baseUrl,
    };
  }

  protected parse(request: IncomingMessage, rawBody: string) {
    if (request.method !== 'POST' || request.url !== `/${WHATSAPP_TEST_ACCOUNT.phoneNumberId}/messages`)
      return undefined;
    try {
      const body = JSON.parse(rawBody) as { messaging_product?: string; to?: string; text?: { body?: string } };
      if (body.messaging_product !== 'whatsapp') return undefined;
      return { to: `+${body.to ?? ''}`, text: body.text?.body ?? '' };
    } catch {
      return undefined;
    }
  }

  protected success(request: ProviderRequest): ScriptedReply {
    if (request.headers.authorization !== `Bearer ${WHATSAPP_TEST_ACCOUNT.token}`) {
      return WhatsappTestServer.error(401, 190);
    }
    return {
      status: 200,
      body: { messaging_product: 'whatsapp', messages: [{ id: `wamid.${randomBytes(12).toString('hex')}` }] },
    };
  }
}
