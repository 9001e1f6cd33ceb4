import { EntityManager } from '@mikro-orm/postgresql';
import { DestinationHasher } from '../../src/modules/delivery/destination-hasher';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { uniqueEmail, uniquePhone } from '../support/otp-test-helpers';
import { eventually } from '../support/eventually';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { TwilioTestServer } from '../support/twilio-test-server';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { createUser } from '../support/factories';

describe('passwordless OTP login (send-otp / verify-otp)', () => {
  let smtp: SmtpTestServer;
  let twilio: TwilioTestServer;
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;

  let stack: ProviderStack;

  beforeAll(async () => {
    stack = await startProviderStack({
      THROTTLE_AUTH_LIMIT: '1000',
      OTP_RESEND_COOLDOWN: '2',
    });
    ({ smtp, twilio, whatsapp, sut } = stack);
  });
  afterAll(() => stack.close());

  /** Sends a code once the resend cooldown allows it. */
  async function loginByPhone(phone: string, channel?: 'sms' | 'whatsapp') {
    const server = channel === 'sms' ? twilio : whatsapp;
    const next = server.nextCode(phone);
    await eventually('send-otp accepted', async () => {
      const sent = await sut.http.post('/api/auth/send-otp', { phone, ...(channel ? { channel } : {}) });
      if (sent.status === 429) return undefined;
      expect(sent.status).toBe(202);
      return sent;
    });
    return sut.http.post('/api/auth/verify-otp', { phone, otp: await next, client: 'native' });
  }

  it('should send a WhatsApp code by default and create the account of a new phone on first login', async () => {
    const phone = uniquePhone();
    const next = whatsapp.nextCode(phone);
    const sent = await sut.http.post('/api/auth/send-otp', { phone });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ status: 'sent', channel: 'whatsapp', expiresIn: 300, resendAfter: 2 });
    const login = await sut.http.post('/api/auth/verify-otp', { phone, otp: await next });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ phone, phoneVerified: true, email: null, status: 'active' });
    expect(login.body.accessToken).toEqual(expect.any(String));
  });

  it('should sign the same user in on a later login of the same phone', async () => {
    const phone = uniquePhone();
    const first = await loginByPhone(phone);
    const second = await loginByPhone(phone);
    expect(second.status).toBe(200);
    expect(second.body.user.id).toBe(first.body.user.id);
    expect(second.body.sessionId).not.toBe(first.body.sessionId);
  });

  it('should send by SMS through Twilio when asked and sign in', async () => {
    const phone = uniquePhone();
    const login = await loginByPhone(phone, 'sms');
    expect(login.status).toBe(200);
    expect(login.body.user.phone).toBe(phone);
    const request = await twilio.waitForMessage(phone);
    expect(twilio.form(request).get('From')).toBe('+15005550006');
  });

  it('should normalise a phone number written with spaces to E.164', async () => {
    const phone = uniquePhone();
    const spaced = `${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5, 8)} ${phone.slice(8)}`;
    const next = whatsapp.nextCode(phone);
    expect((await sut.http.post('/api/auth/send-otp', { phone: spaced })).status).toBe(202);
    const login = await sut.http.post('/api/auth/verify-otp', { phone, otp: await next });
    expect(login.status).toBe(200);
  });

  it('should refuse an invalid phone number with VALIDATION_FAILED on the phone field', async () => {
    const response = await sut.http.post('/api/auth/send-otp', { phone: '+1234' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.details).toEqual([expect.objectContaining({ field: 'phone' })]);
  });

  it('should refuse a body with neither or both of phone and email', async () => {
    expect((await sut.http.post('/api/auth/send-otp', {})).status).toBe(400);
    const both = await sut.http.post('/api/auth/send-otp', { phone: uniquePhone(), email: uniqueEmail() });
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('VALIDATION_FAILED');
  });

  it('should sign an existing email account in', async () => {
    const email = uniqueEmail('otp-login');
    const user = await createUser(sut, { email });
    const next = smtp.nextCode(email);
    const sent = await sut.http.post('/api/auth/send-otp', { email });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ status: 'sent', channel: 'email', expiresIn: 300, resendAfter: 2 });
    const login = await sut.http.post('/api/auth/verify-otp', { email, otp: await next });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ id: user.id, email, emailVerified: true });
  });

  it('should not sign in, nor send a code to, an email that nobody verified (its account or not)', async () => {
    const email = uniqueEmail('unverified');
    await createUser(sut, {
      email,
      emailVerifiedAt: null,
      passwordHash: '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$planted',
    });
    const sent = await sut.http.post('/api/auth/send-otp', { email });
    expect(sent.status).toBe(202);
    // The message row is written before the 202: none means no code went out.
    const queued = await sut.app
      .get(EntityManager)
      .fork()
      .getConnection()
      .execute(`select id from delivery_message where destination_hash = ?`, [
        sut.app.get(DestinationHasher).hash({ channel: 'email', address: email }),
      ]);
    expect(queued).toEqual([]);
    const verify = await sut.http.post('/api/auth/verify-otp', { email, otp: '123456' });
    expect(verify.status).toBe(401);
    expect(verify.body.code).toBe('OTP_INVALID');
  });

  it('should not reveal that an email has no account: same 202, nothing sent, a decoy code on verify', async () => {
    const email = uniqueEmail('nobody');
    const sent = await sut.http.post('/api/auth/send-otp', { email });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ status: 'sent', channel: 'email', expiresIn: 300, resendAfter: 2 });
    const again = await sut.http.post('/api/auth/send-otp', { email });
    expect(again.status).toBe(429);
    expect(again.body.code).toBe('OTP_RESEND_COOLDOWN');
    // A wrong guess meets a decoy as it would a real code: OTP_INVALID, not OTP_EXPIRED.
    const verify = await sut.http.post('/api/auth/verify-otp', { email, otp: '123456' });
    expect(verify.status).toBe(401);
    expect(verify.body.code).toBe('OTP_INVALID');
    expect(smtp.mailsTo(email)).toHaveLength(0);
  });

  it('should refuse a restricted account with ACCOUNT_RESTRICTED', async () => {
    const phone = uniquePhone();
    await createUser(sut, { email: null, emailVerifiedAt: null, phone, status: 'restricted' });
    const login = await loginByPhone(phone);
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('ACCOUNT_RESTRICTED');
  });

  it('should refuse a channel the tenant does not allow with VALIDATION_FAILED', async () => {
    const tenants = sut.app.get(TenantsService);
    await tenants.create('otp-sms-only', 'SMS only');
    await tenants.updateSettings('otp-sms-only', { allowedOtpChannels: ['sms'] });
    const http = sut.http.fork({ 'x-tenant-id': 'otp-sms-only' });
    const phone = uniquePhone();
    const refused = await http.post('/api/auth/send-otp', { phone, channel: 'whatsapp' });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('VALIDATION_FAILED');
    expect((await http.post('/api/auth/send-otp', { email: uniqueEmail() })).status).toBe(400);
    const next = twilio.nextCode(phone);
    expect((await http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
    const login = await http.post('/api/auth/verify-otp', { phone, otp: await next });
    expect(login.status).toBe(200);
    expect(login.body.user.tenantId).toBe('otp-sms-only');
  });

  it('should audit the login with method otp', async () => {
    const phone = uniquePhone();
    const login = await loginByPhone(phone);
    const em = sut.app.get(EntityManager).fork();
    const types = await eventually('audit events', async () => {
      const rows = await em
        .getConnection()
        .execute<Array<{ type: string; data: Record<string, unknown> | null }>>(
          `select type, data from audit_event where subject_id = ? order by created_at`,
          [login.body.user.id],
        );
      return rows.some((row) => row.type === 'login.succeeded') ? rows : undefined;
    });
    expect(types.map((row) => row.type)).toEqual(
      expect.arrayContaining(['user.registered', 'session.created', 'login.succeeded']),
    );
    // The code was sent before the account existed: the OTP events name the destination, masked.
    const [verified] = await em
      .getConnection()
      .execute<Array<{ data: Record<string, unknown> }>>(
        `select data from audit_event where type = 'otp.verified' and data->>'destination' = ?`,
        [`+${'*'.repeat(phone.length - 5)}${phone.slice(-4)}`],
      );
    expect(verified?.data).toMatchObject({ purpose: 'login', channel: 'whatsapp' });
    expect(types.find((row) => row.type === 'login.succeeded')?.data).toMatchObject({ method: 'otp' });
  });

  it('should not create accounts with OTP_SIGNUP=false, nor reveal that the phone is unknown', async () => {
    const closed = await startTestApp({ ...whatsapp.env(), THROTTLE_AUTH_LIMIT: '1000', OTP_SIGNUP: 'false' });
    try {
      const phone = uniquePhone();
      const sent = await closed.http.post('/api/auth/send-otp', { phone });
      expect(sent.status).toBe(202);
      expect(sent.body).toEqual({ status: 'sent', channel: 'whatsapp', expiresIn: 300, resendAfter: 60 });
      const login = await closed.http.post('/api/auth/verify-otp', { phone, otp: '123456' });
      expect(login.status).toBe(401);
      expect(login.body.code).toBe('OTP_INVALID');
      expect(whatsapp.requests.filter((request) => request.to === phone)).toHaveLength(0);
    } finally {
      await closed.close();
    }
  });
});
