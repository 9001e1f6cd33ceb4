import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ProviderTestServer, type ProviderRequest, type ScriptedReply } from './provider-test-server';

export const VONAGE_TEST_ACCOUNT = { apiKey: 'testkey1', apiSecret: 'test-secret-0123', from: 'SecureAuth' };

/**
 * Vonage's SMS API as the service calls it: POST /sms/json, form-encoded, `api_key` and
 * `api_secret` in the body, `to` as digits; 200 {"message-count":"1","messages":[{"status":"0",
 * "message-id":…}]}. Vonage refuses a message with HTTP 200 and a non-zero `status` and
 * `error-text`: e.g. `VonageTestServer.status(7)` (Number Barred). `to` is recorded with a
 * leading + (E.164), like the other servers.
 */
export class VonageTestServer extends ProviderTestServer {
  static start(): Promise<VonageTestServer> {
    return new VonageTestServer().listen();
  }

  /** A refusal as Vonage sends it: HTTP 200, the verdict in the message's `status`. */
  static status(code: number, errorText = 'test error'): ScriptedReply {
    return {
      status: 200,
      body: { 'message-count': '1', messages: [{ status: String(code), 'error-text': errorText }] },
    };
  }

  /** An HTTP failure of Vonage itself (an outage). */
  static http(status: number): ScriptedReply {
    return { status, body: { type: 'about:blank', title: 'test outage' } };
  }

  env(): Record<string, string> {
    return {
      VONAGE_API_KEY: VONAGE_TEST_ACCOUNT.apiKey,
      VONAGE_API_SECRET: VONAGE_TEST_ACCOUNT.apiSecret,
      VONAGE_FROM: VONAGE_TEST_ACCOUNT.from,
      VONAGE_BASE_URL: this.baseUrl,
    };
  }

  form(request: ProviderRequest): URLSearchParams {
    return new URLSearchParams(request.rawBody);
  }

  protected parse(request: IncomingMessage, rawBody: string) {
    if (request.method !== 'POST' || request.url !== '/sms/json') return undefined;
    const form = new URLSearchParams(rawBody);
    return { to: `+${form.get('to') ?? ''}`, text: form.get('text') ?? '' };
  }

  protected success(request: ProviderRequest): ScriptedReply {
    const form = this.form(request);
    if (
      form.get('api_key') !== VONAGE_TEST_ACCOUNT.apiKey ||
      form.get('api_secret') !== VONAGE_TEST_ACCOUNT.apiSecret
    ) {
      return VonageTestServer.status(4, 'Bad Credentials');
    }
    const to = form.get('to') ?? '';
    return {
      status: 200,
      body: {
        'message-count': '1',
        messages: [{ to, 'message-id': randomBytes(16).toString('hex'), status: '0', 'remaining-balance': '10.0' }],
      },
    };
  }
}
