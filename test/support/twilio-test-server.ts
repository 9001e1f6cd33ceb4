import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ProviderTestServer, type ProviderRequest, type ScriptedReply } from './provider-test-server';

export const TWILIO_TEST_ACCOUNT = {
  accountSid: 'ACtest0000000000000000000000000000',
  authToken: 'test-auth-token-123',
  from: '+15005550006',
};

/**
 * Twilio's Messages API as the service calls it: POST /2010-04-01/Accounts/{sid}/Messages.json,
 * HTTP Basic sid:token, form body To/From/Body/StatusCallback; 201 {"sid","status":"queued"}.
 * Errors as Twilio sends them: e.g. `TwilioTestServer.error(400, 21211)`.
 */
export class TwilioTestServer extends ProviderTestServer {
  static start(): Promise<TwilioTestServer> {
    return new TwilioTestServer().listen();
  }

  static error(status: number, code?: number): ScriptedReply {
    return { status, body: { code: code ?? status, message: 'test error', status } };
  }

  /** Environment for startTestApp. */
  env(): Record<string, string> {
    return {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: TWILIO_TEST_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_TEST_ACCOUNT.authToken,
      TWILIO_FROM: TWILIO_TEST_ACCOUNT.from,
      TWILIO_BASE_URL: this.baseUrl,
    };
  }

  form(request: ProviderRequest): URLSearchParams {
    return new URLSearchParams(request.rawBody);
  }

  protected parse(request: IncomingMessage, rawBody: string) {
    const path = `/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.accountSid}/Messages.json`;
    if (request.method !== 'POST' || request.url !== path) return undefined;
    const form = new URLSearchParams(rawBody);
    return { to: form.get('To') ?? '', text: form.get('Body') ?? '' };
  }

  protected success(request: ProviderRequest): ScriptedReply {
    const expected = `Basic ${Buffer.from(`${TWILIO_TEST_ACCOUNT.accountSid}:${TWILIO_TEST_ACCOUNT.authToken}`).toString('base64')}`;
    if (request.headers.authorization !== expected) return TwilioTestServer.error(401, 20003);
    return { status: 201, body: { sid: `SM${randomBytes(16).toString('hex')}`, status: 'queued' } };
  }
}
