import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { MetricsService } from '../../src/common/metrics/metrics.service';
import { deliveryConfig } from '../../src/config/delivery.config';
import { ProviderCircuitBreaker } from '../../src/modules/delivery/provider-circuit-breaker';
import { DeliveryTransports } from '../../src/modules/delivery/transports/delivery-transports.provider';
import type { OutgoingMessage } from '../../src/modules/delivery/transports/delivery-transport';
import { TenantsModule } from '../../src/modules/tenants/tenants.module';
import { createTenant } from '../support/factories';
import { uniquePhone } from '../support/otp-test-helpers';
import { TwilioTestServer } from '../support/twilio-test-server';
import { VonageTestServer } from '../support/vonage-test-server';
import { newMediumTest, type MediumTest } from './medium.factory';

const FAILURES_TO_OPEN = 3;
const COOLDOWN_MS = 400;

/**
 * SMS over Twilio then Vonage (SMS_PROVIDER=twilio,vonage): both providers' real wire formats
 * on local servers, the circuit breaker on real Redis, shared by two "workers" (two breakers,
 * each with its own Redis connection, on one prefix).
 */
describe('SMS provider failover and the circuit breaker', () => {
  let twilio: TwilioTestServer;
  let vonage: VonageTestServer;
  let medium: MediumTest<DeliveryTransports>;

  beforeAll(async () => {
    [twilio, vonage] = await Promise.all([TwilioTestServer.start(), VonageTestServer.start()]);
    medium = await newMediumTest(DeliveryTransports, {
      imports: [TenantsModule],
      providers: [ProviderCircuitBreaker],
      env: {
        ...twilio.env(),
        ...vonage.env(),
        SMS_PROVIDER: 'twilio,vonage',
        SMS_BREAKER_FAILURES: String(FAILURES_TO_OPEN),
        SMS_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
        DELIVERY_PROVIDER_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(async () => {
    await medium?.close();
    await Promise.all([twilio?.close(), vonage?.close()]);
  });
  afterEach(async () => {
    // Each test starts with closed breakers.
    const keys = await medium.redis.keys(`${medium.redis.options.keyPrefix ?? ''}{breaker:*`);
    const prefix = medium.redis.options.keyPrefix ?? '';
    if (keys.length > 0) await medium.redis.del(...keys.map((key) => key.slice(prefix.length)));
  });

  const sms = () => medium.sut.for('sms');
  const message = (to = uniquePhone(), tenantId?: string): OutgoingMessage => ({
    id: randomUUID(),
    tenantId,
    channel: 'sms',
    to,
    subject: '',
    text: 'SecureAuth: 123456 is your code.',
    html: '',
  });
  const countOf = async (outcome: string, provider: string) =>
    (await medium.get(MetricsService).deliveryProviderRequests.get()).values.find(
      ({ labels }) => labels.provider === provider && labels.outcome === outcome,
    )?.value ?? 0;

  it('should send through Vonage in its own wire format when Twilio answers 503', async () => {
    const to = uniquePhone();
    twilio.replyNext(TwilioTestServer.error(503));
    const outgoing = message(to);
    const result = await sms().send(outgoing);
    expect(result.provider).toBe('vonage');
    const [request] = vonage.requests.filter((r) => r.to === to);
    expect(Object.fromEntries(vonage.form(request))).toEqual({
      api_key: 'testkey1',
      api_secret: 'test-secret-0123',
      from: 'SecureAuth',
      to: to.slice(1),
      text: 'SecureAuth: 123456 is your code.',
      'client-ref': outgoing.id,
    });
    expect(result.providerMessageId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('should fail over on a timeout, but not on a number the first provider says is invalid', async () => {
    const slow = uniquePhone();
    const hold = twilio.holdNext();
    expect((await sms().send(message(slow))).provider).toBe('vonage');
    hold.release();

    const invalid = uniquePhone();
    twilio.replyNext(TwilioTestServer.error(400, 21211));
    await expect(sms().send(message(invalid))).rejects.toMatchObject({ kind: 'bounce' });
    expect(vonage.requests.filter((r) => r.to === invalid)).toHaveLength(0);
  });

  it("should follow the tenant's order of providers", async () => {
    const tenantId = await createTenant(medium.em(), undefined, { settings: { smsProviders: ['vonage', 'twilio'] } });
    const to = uniquePhone();
    expect((await sms().send(message(to, tenantId))).provider).toBe('vonage');
    expect(twilio.requests.filter((r) => r.to === to)).toHaveLength(0);
  });

  it('should skip a provider that failed repeatedly until the cooldown, then let one trial through', async () => {
    twilio.replyNext(...Array.from({ length: FAILURES_TO_OPEN }, () => TwilioTestServer.error(500)));
    for (let i = 0; i < FAILURES_TO_OPEN; i++) expect((await sms().send(message())).provider).toBe('vonage');
    const skippedBefore = await countOf('skipped', 'twilio');

    // Open: Twilio gets nothing, Vonage everything.
    const during = uniquePhone();
    expect((await sms().send(message(during))).provider).toBe('vonage');
    expect(twilio.requests.filter((r) => r.to === during)).toHaveLength(0);
    expect(await countOf('skipped', 'twilio')).toBe(skippedBefore + 1);
    expect((await medium.get(MetricsService).providerCircuitOpen.get()).values).toContainEqual(
      expect.objectContaining({ labels: { provider: 'twilio' }, value: 1 }),
    );

    // After the cooldown Twilio is tried again, and its success closes the breaker.
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
    expect((await sms().send(message())).provider).toBe('twilio');
    expect((await sms().send(message())).provider).toBe('twilio');
  });

  it('should let exactly one of two workers try a provider in probation', async () => {
    const config = medium.get<ReturnType<typeof deliveryConfig>>(deliveryConfig.KEY);
    const workers = [0, 1].map(() => {
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
        keyPrefix: medium.redis.options.keyPrefix,
        lazyConnect: true,
      });
      return { redis, breaker: new ProviderCircuitBreaker(redis, config) };
    });
    try {
      for (let i = 0; i < FAILURES_TO_OPEN; i++) await workers[i % 2].breaker.recordFailure('twilio');
      // Both workers see it open.
      expect(await Promise.all(workers.map((w) => w.breaker.canSend('twilio')))).toEqual([false, false]);
      await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
      const asked = await Promise.all(
        workers.flatMap((w) => [w.breaker.canSend('twilio'), w.breaker.canSend('twilio')]),
      );
      expect(asked.filter(Boolean)).toHaveLength(1);
      // The trial fails: open again for everyone at once.
      await workers[1].breaker.recordFailure('twilio');
      expect(await workers[0].breaker.isOpen('twilio')).toBe(true);
    } finally {
      await Promise.all(workers.map((w) => w.redis.quit()));
    }
  });
});
