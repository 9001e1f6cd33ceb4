import { SmtpTestServer } from './smtp-test-server';
import { startTestApp, type TestApp } from './test-app';
import { TwilioTestServer } from './twilio-test-server';
import { WhatsappTestServer } from './whatsapp-test-server';

export interface ProviderStack {
  smtp: SmtpTestServer;
  twilio: TwilioTestServer;
  whatsapp: WhatsappTestServer;
  sut: TestApp;
  close(): Promise<void>;
}

/** The app wired to a real SMTP server and local Twilio and WhatsApp Cloud API servers. */
export async function startProviderStack(env: Record<string, string | undefined> = {}): Promise<ProviderStack> {
  const [smtp, twilio, whatsapp] = await Promise.all([
    SmtpTestServer.start(),
    TwilioTestServer.start(),
    WhatsappTestServer.start(),
  ]);
  const sut = await startTestApp({ SMTP_URL: smtp.url, ...twilio.env(), ...whatsapp.env(), ...env });
  return {
    smtp,
    twilio,
    whatsapp,
    sut,
    close: async () => {
      await sut.close();
      await Promise.all([smtp.close(), twilio.close(), whatsapp.close()]);
    },
  };
}
