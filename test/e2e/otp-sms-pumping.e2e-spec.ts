import { EntityManager } from '@mikro-orm/postgresql';
import { MetricsService } from '../../src/common/metrics/metrics.service';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import type { TestResponse } from '../support/http-client';
import { uniquePhone } from '../support/otp-test-helpers';
import { startTestApp, type TestApp } from '../support/test-app';
import { TwilioTestServer } from '../support/twilio-test-server';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { createTenant, tenantHeader } from './admin-support';
import { createUser } from '../support/factories';

/**
 * SMS pumping (toll fraud): an anonymous caller makes the service text numbers whose traffic
 * earns someone money (premium rate, satellite and international network ranges) or simply
 * drains the SMS bill. Each test is the attacker's request and what must come of it.
 */
describe('SMS pumping: who send-otp will text', () => {
  let twilio: TwilioTestServer;
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    [twilio, whatsapp] = await Promise.all([TwilioTestServer.start(), WhatsappTestServer.start()]);
    sut = await startTestApp({ ...twilio.env(), ...whatsapp.env(), THROTTLE_AUTH_LIMIT: '1000' });
  });
  afterAll(async () => {
    await sut.close();
    await Promise.all([twilio.close(), whatsapp.close()]);
  });

  /** Everything the caller sees except what differs between any two requests. */
  function observable(response: TestResponse) {
    // Retry-After counts down the budget's window: it may tick between two requests, whatever the account.
    const volatile = new Set(['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']);
    const headers = Object.fromEntries([...response.headers].filter(([name]) => !volatile.has(name)));
    const body = { ...(response.body as Record<string, unknown>) };
    delete body.requestId;
    return { status: response.status, body, headers };
  }

  async function messageRowsTo(phone: string): Promise<number> {
    const rows = await sut.app
      .get(EntityManager)
      .fork()
      .getConnection()
      .execute<Array<{ count: string }>>(
        `select count(*)::text as count from delivery_message where destination_masked like ?`,
        [`%${phone.slice(-4)}`],
      );
    return Number(rows[0].count);
  }

  it.each([
    ['UK premium rate (+44 909)', '+449098790000'],
    ['US premium rate (+1 900)', '+19005551234'],
    ['US toll-free (+1 800)', '+18005550199'],
    ['French landline', '+33123456789'],
    ['German landline', '+49301234567'],
  ])('should refuse to text a %s number with 422 DESTINATION_UNDELIVERABLE and send nothing', async (_, phone) => {
    for (const channel of ['sms', 'whatsapp'] as const) {
      const response = await sut.http.post('/api/auth/send-otp', { phone, channel });
      expect({ channel, status: response.status, code: response.body.code }).toEqual({
        channel,
        status: 422,
        code: 'DESTINATION_UNDELIVERABLE',
      });
    }
    expect(twilio.requests.filter((request) => request.to === phone)).toHaveLength(0);
    expect(whatsapp.requests.filter((request) => request.to === phone)).toHaveLength(0);
  });

  it.each([
    ['+800 (international freephone)', '+80012345678'],
    ['+808 (shared cost)', '+80812345678'],
    ['+870 (Inmarsat satellite)', '+870301234567'],
    ['+878 (universal personal numbers)', '+878101234567890'],
    ['+881 (Iridium / Globalstar satellite)', '+881612345678'],
    ['+882 (international networks)', '+8823421234'],
    ['+883 (international networks)', '+883510012345'],
    ['+888 (humanitarian)', '+88812345678901'],
    ['+979 (international premium rate)', '+979123456789'],
  ])('should refuse the international network number %s like a non-mobile one', async (_, phone) => {
    const response = await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('DESTINATION_UNDELIVERABLE');
    expect(await messageRowsTo(phone)).toBe(0);
  });

  it('should still text mobile numbers (US fixed-line-or-mobile, UK, German and French mobiles)', async () => {
    for (const phone of [uniquePhone(), '+447400123456', '+4915112345678', '+33612345678']) {
      const next = twilio.nextCode(phone);
      const response = await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' });
      expect({ phone, status: response.status }).toEqual({ phone, status: 202 });
      await next;
    }
  });

  it('should give the same answer for a refused number whether or not an account has it', async () => {
    const withAccount = '+19005559876';
    await createUser(sut, { email: null, emailVerifiedAt: null, phone: withAccount, phoneVerifiedAt: new Date() });
    const known = await sut.http.fork().post('/api/auth/send-otp', { phone: withAccount }, { cookies: false });
    const unknown = await sut.http.fork().post('/api/auth/send-otp', { phone: '+19005554321' }, { cookies: false });
    expect(known.status).toBe(422);
    expect(observable(known)).toEqual(observable(unknown));
  });

  describe('tenant setting smsCountries', () => {
    it('should text only the countries a tenant allows and answer 422 for the others', async () => {
      const tenantId = await createTenant(sut);
      await sut.app.get(TenantsService).updateSettings(tenantId, { smsCountries: ['DE', 'FR'] });
      const headers = tenantHeader(tenantId);
      const american = await sut.http.post('/api/auth/send-otp', { phone: uniquePhone(), channel: 'sms' }, { headers });
      expect(american.status).toBe(422);
      expect(american.body.code).toBe('DESTINATION_UNDELIVERABLE');
      const british = await sut.http.post('/api/auth/send-otp', { phone: '+447400123457' }, { headers });
      expect(british.status).toBe(422);
      const german = await sut.http.post('/api/auth/send-otp', { phone: '+4915112345679' }, { headers });
      expect(german.status).toBe(202);
    });

    it('should text every country when the list is empty', async () => {
      const tenantId = await createTenant(sut);
      await sut.app.get(TenantsService).updateSettings(tenantId, { smsCountries: [] });
      const response = await sut.http.post(
        '/api/auth/send-otp',
        { phone: '+447400123458' },
        { headers: tenantHeader(tenantId) },
      );
      expect(response.status).toBe(202);
    });
  });

  describe('hourly budgets (SMS_COUNTRY_HOURLY_BUDGET, SMS_HOURLY_BUDGET)', () => {
    const budgetEnv = (budgets: Record<string, string>) => ({
      ...twilio.env(),
      ...whatsapp.env(),
      THROTTLE_AUTH_LIMIT: '1000',
      ...budgets,
    });
    const alerts = (app: TestApp) =>
      app.app.get(MetricsService).registry.getSingleMetricAsString('sms_budget_exhausted_total');

    it('should stop texting a calling code past its hourly budget with 429, in every process, and raise the alert metric', async () => {
      const env = budgetEnv({ SMS_COUNTRY_HOURLY_BUDGET: '3', SMS_HOURLY_BUDGET: '100' });
      const first = await startTestApp(env);
      // A second API process on the same Redis: the budget is the deployment's, not one process's.
      const second = await startTestApp({ ...env, APP_ROLE: 'api' }, first.resources);
      try {
        const sends: number[] = [];
        for (let i = 0; i < 3; i++) {
          const app = i % 2 === 0 ? first : second;
          sends.push((await app.http.post('/api/auth/send-otp', { phone: uniquePhone(), channel: 'sms' })).status);
        }
        expect(sends).toEqual([202, 202, 202]);
        const over = await second.http.post('/api/auth/send-otp', { phone: uniquePhone() });
        expect(over.status).toBe(429);
        expect(over.body.code).toBe('TOO_MANY_REQUESTS');
        expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(3000);
        expect(await alerts(second)).toMatch(/sms_budget_exhausted_total\{scope="country",calling_code="1"\} 1/);
        // Another calling code still has its own budget.
        expect((await first.http.post('/api/auth/send-otp', { phone: '+4915112345670' })).status).toBe(202);
      } finally {
        await second.close();
        await first.close();
      }
    });

    it('should stop every SMS and WhatsApp send once the global hourly budget is spent, and only those', async () => {
      const app = await startTestApp(budgetEnv({ SMS_COUNTRY_HOURLY_BUDGET: '100', SMS_HOURLY_BUDGET: '2' }));
      try {
        expect((await app.http.post('/api/auth/send-otp', { phone: uniquePhone(), channel: 'sms' })).status).toBe(202);
        expect((await app.http.post('/api/auth/send-otp', { phone: '+33612345670' })).status).toBe(202);
        const over = await app.http.post('/api/auth/send-otp', { phone: '+4915112345671', channel: 'sms' });
        expect(over.status).toBe(429);
        expect(over.body.code).toBe('TOO_MANY_REQUESTS');
        expect(await alerts(app)).toMatch(/sms_budget_exhausted_total\{scope="global",calling_code="all"\} 1/);
        // Email is not an SMS: it still goes.
        const email = `budget-${Date.now()}@example.com`;
        await createUser(app, { email, emailVerifiedAt: null });
        expect((await app.http.post('/api/auth/send-otp', { email })).status).toBe(202);
      } finally {
        await app.close();
      }
    });

    it('should answer an exhausted budget alike whether or not the phone has an account (OTP_SIGNUP=false)', async () => {
      const app = await startTestApp(
        budgetEnv({ SMS_COUNTRY_HOURLY_BUDGET: '100', SMS_HOURLY_BUDGET: '1', OTP_SIGNUP: 'false' }),
      );
      try {
        const phones = [uniquePhone(), uniquePhone()];
        for (const phone of phones) {
          await createUser(app, { email: null, emailVerifiedAt: null, phone, phoneVerifiedAt: new Date() });
        }
        expect((await app.http.post('/api/auth/send-otp', { phone: phones[0] })).status).toBe(202);
        const known = await app.http.fork().post('/api/auth/send-otp', { phone: phones[1] }, { cookies: false });
        const unknown = await app.http.fork().post('/api/auth/send-otp', { phone: uniquePhone() }, { cookies: false });
        expect(known.status).toBe(429);
        expect(observable(known)).toEqual(observable(unknown));
      } finally {
        await app.close();
      }
    });
  });
});
