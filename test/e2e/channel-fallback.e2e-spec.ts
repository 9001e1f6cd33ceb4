import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DELIVERY_QUEUE } from '../../src/modules/delivery/delivery.constants';
import { DeliveryFallbacks } from '../../src/modules/delivery/delivery-fallbacks.service';
import { uniquePhone } from '../support/otp-test-helpers';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { createTenant, signedInAs, type SignedIn } from './admin-support';

/** Long enough for a healthy WhatsApp send on a loaded machine, short enough for a test. */
const FALLBACK_AFTER_MS = 1500;

/**
 * Channel fallback (tenant setting `channelOrder`): a WhatsApp code the provider refuses as
 * undeliverable (131026, not on WhatsApp) or has not accepted in time goes out by SMS, with the
 * same code and expiry, once; both messages are in the delivery records.
 */
describe('channel fallback: WhatsApp, then SMS (e2e)', () => {
  let stack: ProviderStack;
  let tenantId: string;
  let admin: SignedIn;

  beforeAll(async () => {
    stack = await startProviderStack({
      DELIVERY_FALLBACK_AFTER_MS: String(FALLBACK_AFTER_MS),
      // A failed WhatsApp send waits longer than the fallback for its retry: the fallback replaces it.
      DELIVERY_BACKOFF_MS: '5000',
      OTP_RESEND_COOLDOWN: '1',
      THROTTLE_AUTH_LIMIT: '1000',
    });
    tenantId = await createTenant(stack.sut, undefined, { settings: { channelOrder: ['whatsapp', 'sms'] } });
    admin = await signedInAs(stack.sut, ['admin'], { tenantId });
  });
  afterAll(() => stack?.close());

  const api = () => stack.sut.http.fork({ 'x-tenant-id': tenantId });
  const sendOtp = (phone: string) => api().post('/api/auth/send-otp', { phone });
  const verifyOtp = (phone: string, otp: string) =>
    api().post('/api/auth/verify-otp', { phone, otp, client: 'native' });
  const messagesTo = async (phone: string) => {
    const listed = await api().get('/api/admin/delivery/messages?limit=100', { token: admin.token });
    const masked = phone.slice(-4);
    return (listed.body.items as Array<Record<string, any>>).filter((m) => String(m.destination).endsWith(masked));
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('should send the same code by SMS, once, when WhatsApp says the number is not on WhatsApp', async () => {
    const phone = uniquePhone();
    stack.whatsapp.replyNext(WhatsappTestServer.error(400, 131026));
    const sent = await sendOtp(phone);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: 'sent', channel: 'whatsapp', fallbackChannel: 'sms' });

    const code = await stack.twilio.nextCode(phone);
    expect((await verifyOtp(phone, code)).status).toBe(200);
    // The timer comes later and finds the fallback taken: still one SMS.
    await pause(FALLBACK_AFTER_MS + 500);
    expect(stack.twilio.delivered(phone)).toHaveLength(1);

    const [sms, whatsapp] = await messagesTo(phone);
    expect(whatsapp).toMatchObject({ channel: 'whatsapp', status: 'bounced', fallbackMessageId: sms.id });
    expect(sms).toMatchObject({ channel: 'sms', status: 'sent', fallbackOf: whatsapp.id });

    // Known not to be on WhatsApp now: the next code goes by SMS first, with nothing behind it.
    const next = await sendOtpAfterCooldown(phone);
    expect(next.body).toMatchObject({ channel: 'sms' });
    expect(next.body.fallbackChannel).toBeUndefined();
  });

  it('should send the same code by SMS when WhatsApp has not accepted it in time, and stop retrying WhatsApp', async () => {
    const phone = uniquePhone();
    stack.whatsapp.replyNext(WhatsappTestServer.error(503));
    const sent = await sendOtp(phone);
    expect(sent.body).toMatchObject({ channel: 'whatsapp', fallbackChannel: 'sms' });
    const started = Date.now();

    const code = await stack.twilio.nextCode(phone);
    expect(Date.now() - started).toBeGreaterThanOrEqual(FALLBACK_AFTER_MS - 100);
    expect((await verifyOtp(phone, code)).status).toBe(200);
    const [sms, whatsapp] = await messagesTo(phone);
    expect(sms).toMatchObject({ channel: 'sms', status: 'sent', fallbackOf: whatsapp.id });
    expect(whatsapp).toMatchObject({ channel: 'whatsapp', status: 'failed', fallbackMessageId: sms.id });
    expect(whatsapp.lastError).toContain('503');
    // Replaced, not retried: its retry finds the message failed.
    await pause(5500);
    expect(stack.whatsapp.requests.filter((request) => request.to === phone)).toHaveLength(1);
  });

  it('should not fall back when WhatsApp accepted the message', async () => {
    const phone = uniquePhone();
    const sent = await sendOtp(phone);
    expect(sent.body).toMatchObject({ channel: 'whatsapp', fallbackChannel: 'sms' });
    const code = await stack.whatsapp.nextCode(phone);
    await pause(FALLBACK_AFTER_MS + 500);
    expect(stack.twilio.delivered(phone)).toHaveLength(0);
    expect((await verifyOtp(phone, code)).status).toBe(200);
    const [whatsapp] = await messagesTo(phone);
    expect(whatsapp).toMatchObject({ status: 'sent', fallbackMessageId: null });
  });

  it("should still fall back when the message's timer job was lost (its process died after writing it)", async () => {
    const phone = uniquePhone();
    const hold = stack.whatsapp.holdNext();
    expect((await sendOtp(phone)).body).toMatchObject({ channel: 'whatsapp', fallbackChannel: 'sms' });
    const [whatsapp] = await messagesTo(phone);
    const queue = stack.sut.app.get<Queue>(getQueueToken(DELIVERY_QUEUE));
    expect(await queue.remove(`${whatsapp.id}-fallback`)).toBe(1);
    await pause(FALLBACK_AFTER_MS + 200);
    expect(stack.twilio.delivered(phone)).toHaveLength(0);

    // The workers' sweep finds it overdue.
    expect(await stack.sut.app.get(DeliveryFallbacks).fallBackOverdue(0)).toBeGreaterThanOrEqual(1);
    const code = await stack.twilio.nextCode(phone);
    hold.release();
    expect((await verifyOtp(phone, code)).status).toBe(200);
  });

  it('should let the client choose SMS, with nothing after it in the order', async () => {
    const phone = uniquePhone();
    const sent = await api().post('/api/auth/send-otp', { phone, channel: 'sms' });
    expect(sent.body).toMatchObject({ channel: 'sms' });
    expect(sent.body.fallbackChannel).toBeUndefined();
    await stack.twilio.nextCode(phone);
  });

  /** A second send to the same number once the resend cooldown allows it. */
  async function sendOtpAfterCooldown(phone: string) {
    for (;;) {
      const answer = await sendOtp(phone);
      if (answer.status === 202) return answer;
      const wait = Number(answer.headers.get('retry-after') ?? '1');
      await pause(wait * 1000);
    }
  }
});
