import { MikroORM, RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type Redis from 'ioredis';
import { REDIS } from '../../src/common/redis/redis.constants';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DELIVERY_QUEUE } from '../../src/modules/delivery/delivery.constants';
import { DeliveryQueryService } from '../../src/modules/delivery/delivery-query.service';
import { DestinationHasher } from '../../src/modules/delivery/destination-hasher';
import { SuppressionListService } from '../../src/modules/delivery/suppression-list.service';
import { signGenericWebhook, twilioSignature } from '../../src/modules/delivery/webhooks/webhook-signatures';
import type { OtpDestination } from '../../src/modules/otp/otp.types';
import { User } from '../../src/modules/users/user.entity';
import { uniqueEmail, uniquePhone } from '../support/otp-test-helpers';
import { eventually } from '../support/eventually';
import { keysMatching } from '../support/test-redis';
import { SmtpTestServer } from '../support/smtp-test-server';
import { type TestApp } from '../support/test-app';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { TWILIO_TEST_ACCOUNT, TwilioTestServer } from '../support/twilio-test-server';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { createTenant, signedInAs, tenantHeader } from './admin-support';
import { createUser } from '../support/factories';

const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
/** The address providers call back; Twilio signs the URL it called, so the service checks against this one. */
const PUBLIC_BASE_URL = 'https://auth.example.test';
const METRICS_TOKEN = 'delivery-metrics-scraper-token-0123456789';

interface MessageRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  payload: string | null;
  provider_message_id: string | null;
}

describe('delivery: queue, worker, providers, bounces, webhooks', () => {
  let smtp: SmtpTestServer;
  let twilio: TwilioTestServer;
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;

  let stack: ProviderStack;

  beforeAll(async () => {
    stack = await startProviderStack({
      THROTTLE_AUTH_LIMIT: '1000',
      DELIVERY_BACKOFF_MS: '200',
      DELIVERY_ATTEMPTS: '3',
      DELIVERY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PUBLIC_BASE_URL,
      DELIVERY_PROVIDER_TIMEOUT_MS: '1000',
      METRICS_TOKEN,
    });
    ({ smtp, twilio, whatsapp, sut } = stack);
  });
  afterAll(() => stack.close());

  const db = () => sut.app.get(EntityManager).fork().getConnection();
  /** Delivery's admin services as the admin controller calls them: inside a request context. */
  const admin = <T>(
    work: (delivery: { query: DeliveryQueryService; suppressions: SuppressionListService }) => Promise<T>,
  ): Promise<T> =>
    RequestContext.create<Promise<T>>(sut.app.get(MikroORM).em, () =>
      work({ query: sut.app.get(DeliveryQueryService), suppressions: sut.app.get(SuppressionListService) }),
    );

  async function messagesTo(destination: OtpDestination): Promise<MessageRow[]> {
    const hash = sut.app.get(DestinationHasher).hash(destination);
    return db().execute<MessageRow[]>(
      `select id, status, attempts, last_error, payload, provider_message_id from delivery_message
        where destination_hash = ? order by created_at`,
      [hash],
    );
  }

  /** Waits until the latest message to `destination` is in one of `statuses`. */
  function messageIn(destination: OtpDestination, ...statuses: string[]): Promise<MessageRow> {
    return eventually(`a message in ${statuses.join('/')}`, async () => {
      const latest = (await messagesTo(destination)).at(-1);
      return latest && statuses.includes(latest.status) ? latest : undefined;
    });
  }

  async function emailUser(): Promise<string> {
    const email = uniqueEmail('delivery');
    await createUser(sut, { email });
    return email;
  }

  async function auditTypes(messageId: string): Promise<string[]> {
    const rows = await db().execute<Array<{ type: string }>>(
      `select type from audit_event where data->>'messageId' = ? order by created_at`,
      [messageId],
    );
    return rows.map((row) => row.type);
  }

  describe('email over SMTP', () => {
    it('should retry after an SMTP 451 and deliver the same code on the next attempt', async () => {
      const email = await emailUser();
      smtp.failNext(1, 451);
      expect((await sut.http.post('/api/auth/send-otp', { email })).status).toBe(202);
      const code = await smtp.waitForCode(email);
      const message = await messageIn({ channel: 'email', address: email }, 'sent');
      expect(message.attempts).toBe(2);
      expect(message.last_error).toBeNull();
      expect(message.payload).toBeNull();
      expect(smtp.mailsTo(email)).toHaveLength(1);
      const login = await sut.http.post('/api/auth/verify-otp', { email, otp: code });
      expect(login.status).toBe(200);
    });

    it('should bounce on SMTP 550 without retrying, suppress the address and refuse the next send with 422', async () => {
      const email = await emailUser();
      smtp.failNext(1, 550);
      expect((await sut.http.post('/api/auth/send-otp', { email })).status).toBe(202);
      const message = await messageIn({ channel: 'email', address: email }, 'bounced');
      expect(message.attempts).toBe(1);
      expect(message.last_error).toContain('550');
      expect(message.payload).toBeNull();
      expect(await auditTypes(message.id)).toContain('delivery.bounced');
      const suppressions = await admin((delivery) =>
        delivery.query.listSuppressions({ tenantId: 'default' }, { limit: 50 }),
      );
      expect(suppressions.items.map((item) => item.destination)).toContain(`${email[0]}***@example.com`);
      const next = await sut.http.post('/api/auth/send-otp', { email });
      expect(next.status).toBe(422);
      expect(next.body.code).toBe('DESTINATION_UNDELIVERABLE');
    });

    it('should mark the message failed after the last attempt and keep it visible', async () => {
      const email = await emailUser();
      smtp.failNext(3, 451);
      expect((await sut.http.post('/api/auth/send-otp', { email })).status).toBe(202);
      const message = await messageIn({ channel: 'email', address: email }, 'failed');
      expect(message.attempts).toBe(3);
      expect(message.payload).toBeNull();
      expect(await auditTypes(message.id)).toContain('delivery.failed');
      const listed = await admin((delivery) =>
        delivery.query.listMessages({ tenantId: 'default' }, { status: 'failed', limit: 50 }),
      );
      expect(listed.items.map((item) => item.id)).toContain(message.id);
    });
  });

  describe('SMS over Twilio', () => {
    it('should bounce on Twilio 21211 with no retry', async () => {
      const phone = uniquePhone();
      twilio.replyNext(TwilioTestServer.error(400, 21211));
      expect((await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
      const message = await messageIn({ channel: 'sms', address: phone }, 'bounced');
      expect(message.attempts).toBe(1);
      expect(twilio.requests.filter((request) => request.to === phone)).toHaveLength(1);
    });

    it('should retry 500, 500 and deliver on the 201', async () => {
      const phone = uniquePhone();
      twilio.replyNext(TwilioTestServer.error(500), TwilioTestServer.error(500));
      expect((await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
      const message = await messageIn({ channel: 'sms', address: phone }, 'sent');
      expect(message.attempts).toBe(3);
      expect(message.provider_message_id).toMatch(/^SM/);
      const requests = twilio.requests.filter((request) => request.to === phone);
      expect(requests.map((request) => request.status)).toEqual([500, 500, 201]);
      expect(twilio.form(requests[2]).get('StatusCallback')).toBe(
        `${PUBLIC_BASE_URL}/api/delivery/webhooks/twilio?messageId=${message.id}`,
      );
      // The same code each time: the worker resends the stored message, it never makes a new code.
      expect(new Set(requests.map((request) => request.text)).size).toBe(1);
    });

    it('should accept a correctly signed Twilio status callback and refuse a forged one', async () => {
      const phone = uniquePhone();
      expect((await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
      const message = await messageIn({ channel: 'sms', address: phone }, 'sent');
      const path = `/api/delivery/webhooks/twilio?messageId=${message.id}`;
      const params = { MessageSid: message.provider_message_id!, MessageStatus: 'delivered', AccountSid: 'AC1' };
      const form = new URLSearchParams(params).toString();
      const forged = await sut.http.post(path, undefined, {
        raw: { payload: form, contentType: 'application/x-www-form-urlencoded' },
        headers: { 'x-twilio-signature': twilioSignature('wrong-token', PUBLIC_BASE_URL + path, params) },
      });
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('UNAUTHORIZED');
      const signed = await sut.http.post(path, undefined, {
        raw: { payload: form, contentType: 'application/x-www-form-urlencoded' },
        headers: {
          'x-twilio-signature': twilioSignature(TWILIO_TEST_ACCOUNT.authToken, PUBLIC_BASE_URL + path, params),
        },
      });
      expect(signed.status).toBe(204);
      expect((await messagesTo({ channel: 'sms', address: phone })).at(-1)?.status).toBe('delivered');
    });

    it('should suppress a number Twilio reports undelivered with a permanent error code, and ignore a replay', async () => {
      const phone = uniquePhone();
      expect((await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
      const message = await messageIn({ channel: 'sms', address: phone }, 'sent');
      const path = `/api/delivery/webhooks/twilio?messageId=${message.id}`;
      const params = { MessageSid: message.provider_message_id!, MessageStatus: 'undelivered', ErrorCode: '30005' };
      const response = await sut.http.post(path, undefined, {
        raw: { payload: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded' },
        headers: {
          'x-twilio-signature': twilioSignature(TWILIO_TEST_ACCOUNT.authToken, PUBLIC_BASE_URL + path, params),
        },
      });
      expect(response.status).toBe(204);
      expect((await messagesTo({ channel: 'sms', address: phone })).at(-1)?.status).toBe('bounced');
      const suppression = (
        await admin((delivery) => delivery.query.listSuppressions({ tenantId: 'default' }, { limit: 100 }))
      ).items.find((item) => item.destination === `+*******${phone.slice(-4)}` && item.channel === 'sms');
      expect(suppression?.reason).toContain('30005');
      // Lifted by an admin: replaying the same signed callback must not suppress the number again.
      await admin((delivery) =>
        delivery.suppressions.lift({ tenantId: 'default' }, suppression!.id, '00000000-0000-4000-8000-000000000000'),
      );
      const replay = await sut.http.post(path, undefined, {
        raw: { payload: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded' },
        headers: {
          'x-twilio-signature': twilioSignature(TWILIO_TEST_ACCOUNT.authToken, PUBLIC_BASE_URL + path, params),
        },
      });
      expect(replay.status).toBe(204);
      expect(
        await sut.app
          .get(SuppressionListService)
          .isSuppressed('default', { channel: 'sms', address: phone }, sut.app.get(EntityManager).fork()),
      ).toBe(false);
    });
  });

  describe('Twilio status callbacks: what suppresses a number', () => {
    /** Posts a Twilio status callback for `messageId`, signed as Twilio signs it. */
    function twilioCallback(messageId: string, params: Record<string, string>) {
      const path = `/api/delivery/webhooks/twilio?messageId=${messageId}`;
      return sut.http.post(path, undefined, {
        raw: { payload: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded' },
        headers: {
          'x-twilio-signature': twilioSignature(TWILIO_TEST_ACCOUNT.authToken, PUBLIC_BASE_URL + path, params),
        },
      });
    }

    const isSuppressed = (phone: string) =>
      sut.app
        .get(SuppressionListService)
        .isSuppressed('default', { channel: 'sms', address: phone }, sut.app.get(EntityManager).fork());

    async function sentSms(): Promise<{ phone: string; message: MessageRow }> {
      const phone = uniquePhone();
      expect((await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
      return { phone, message: await messageIn({ channel: 'sms', address: phone }, 'sent') };
    }

    it.each([
      ['30003', 'unreachable handset: switched off, no signal'],
      ['30007', 'carrier filtering of the message, not of the number'],
      ['30008', 'unknown carrier error'],
    ])('should not suppress a number on Twilio %s (%s)', async (code) => {
      const { phone, message } = await sentSms();
      const params = { MessageSid: message.provider_message_id!, MessageStatus: 'undelivered', ErrorCode: code };
      expect((await twilioCallback(message.id, params)).status).toBe(204);
      const row = (await messagesTo({ channel: 'sms', address: phone })).at(-1)!;
      expect(row.status).toBe('failed');
      expect(row.last_error).toContain(code);
      expect(await isSuppressed(phone)).toBe(false);
    });

    it('should not suppress again on a late or replayed callback after an admin lifted the suppression', async () => {
      const { phone, message } = await sentSms();
      const bounce = { MessageSid: message.provider_message_id!, MessageStatus: 'undelivered', ErrorCode: '30005' };
      expect((await twilioCallback(message.id, bounce)).status).toBe(204);
      expect(await isSuppressed(phone)).toBe(true);

      const admin = await signedInAs(sut, ['admin']);
      const listed = await sut.http.get('/api/admin/delivery/suppressions?limit=100', { token: admin.token });
      const entry = (listed.body.items as Array<{ id: string; destination: string }>).find(
        (item) => item.destination === `+*******${phone.slice(-4)}`,
      );
      expect(entry).toBeDefined();
      const lifted = await sut.http.delete(`/api/admin/delivery/suppressions/${entry!.id}`, { token: admin.token });
      expect(lifted.status).toBe(204);

      // A day later the replay guard has forgotten the callback (its key expired): the same bytes again.
      const redis = sut.app.get<Redis>(REDIS);
      const seen = await keysMatching(redis, `${sut.resources.redisPrefix}webhook:seen:twilio:*`);
      await Promise.all(seen.map((key) => redis.del(key.slice(sut.resources.redisPrefix.length))));
      expect((await twilioCallback(message.id, bounce)).status).toBe(204);
      // And Twilio's later callback for the same message (status `failed`), signed afresh.
      expect((await twilioCallback(message.id, { ...bounce, MessageStatus: 'failed' })).status).toBe(204);
      expect(await isSuppressed(phone)).toBe(false);

      // A message sent after the lift (once the resend cooldown has passed) that bounces suppresses again.
      const cooldowns = await keysMatching(redis, `${sut.resources.redisPrefix}otp:*:cooldown`);
      await Promise.all(cooldowns.map((key) => redis.del(key.slice(sut.resources.redisPrefix.length))));
      expect((await sut.http.post('/api/auth/send-otp', { phone, channel: 'sms' })).status).toBe(202);
      const fresh = await eventually('a second sent message', async () => {
        const rows = await messagesTo({ channel: 'sms', address: phone });
        return rows.length === 2 && rows[1].status === 'sent' ? rows[1] : undefined;
      });
      const freshBounce = { MessageSid: fresh.provider_message_id!, MessageStatus: 'undelivered', ErrorCode: '30005' };
      expect((await twilioCallback(fresh.id, freshBounce)).status).toBe(204);
      expect(await isSuppressed(phone)).toBe(true);
    });
  });

  describe('WhatsApp over the Cloud API', () => {
    it('should bounce on WhatsApp 131026 with no retry', async () => {
      const phone = uniquePhone();
      whatsapp.replyNext(WhatsappTestServer.error(400, 131026));
      expect((await sut.http.post('/api/auth/send-otp', { phone })).status).toBe(202);
      const message = await messageIn({ channel: 'whatsapp', address: phone }, 'bounced');
      expect(message.attempts).toBe(1);
    });

    it('should retry a WhatsApp 429 and then send', async () => {
      const phone = uniquePhone();
      whatsapp.replyNext(WhatsappTestServer.error(429, 130429));
      expect((await sut.http.post('/api/auth/send-otp', { phone })).status).toBe(202);
      const message = await messageIn({ channel: 'whatsapp', address: phone }, 'sent');
      expect(message.attempts).toBe(2);
      expect(message.provider_message_id).toMatch(/^wamid\./);
    });
  });

  it('should give up on a provider that does not answer within DELIVERY_PROVIDER_TIMEOUT_MS and retry', async () => {
    const phone = uniquePhone();
    const hold = whatsapp.holdNext();
    expect((await sut.http.post('/api/auth/send-otp', { phone })).status).toBe(202);
    await hold.reached;
    const message = await messageIn({ channel: 'whatsapp', address: phone }, 'sent');
    hold.release();
    expect(message.attempts).toBe(2);
    expect(whatsapp.delivered(phone)).toHaveLength(1);
  });

  describe('generic signed webhook', () => {
    const now = () => Math.floor(Date.now() / 1000);

    async function sentEmailMessage(): Promise<{ email: string; id: string }> {
      const email = await emailUser();
      expect((await sut.http.post('/api/auth/send-otp', { email })).status).toBe(202);
      const mail = await smtp.waitForMail(email);
      const id = mail.headers['x-secureauth-message-id'];
      await messageIn({ channel: 'email', address: email }, 'sent');
      return { email, id };
    }

    function post(body: unknown, signature: (raw: string) => string) {
      const raw = JSON.stringify(body);
      return sut.http.post('/api/delivery/webhooks/generic', undefined, {
        raw: { payload: raw, contentType: 'application/json' },
        headers: { 'x-secureauth-signature': signature(raw) },
      });
    }

    it('should apply a correctly signed delivered event', async () => {
      const { email, id } = await sentEmailMessage();
      const response = await post({ type: 'delivered', messageId: id }, (raw) =>
        signGenericWebhook(WEBHOOK_SECRET, now(), raw),
      );
      expect(response.status).toBe(204);
      expect((await messagesTo({ channel: 'email', address: email })).at(-1)?.status).toBe('delivered');
    });

    it('should refuse a bad signature with 401 UNAUTHORIZED and change nothing', async () => {
      const { email, id } = await sentEmailMessage();
      const response = await post({ type: 'bounce', messageId: id }, (raw) =>
        signGenericWebhook('not-the-secret-at-all', now(), raw),
      );
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
      const missing = await sut.http.post('/api/delivery/webhooks/generic', { type: 'bounce', messageId: id });
      expect(missing.status).toBe(401);
      expect((await messagesTo({ channel: 'email', address: email })).at(-1)?.status).toBe('sent');
    });

    it('should refuse a signature over a different body', async () => {
      const { email, id } = await sentEmailMessage();
      const signedFor = signGenericWebhook(WEBHOOK_SECRET, now(), JSON.stringify({ type: 'delivered', messageId: id }));
      const response = await post({ type: 'bounce', messageId: id }, () => signedFor);
      expect(response.status).toBe(401);
      expect((await messagesTo({ channel: 'email', address: email })).at(-1)?.status).toBe('sent');
    });

    it('should refuse a stale timestamp (more than 300 s old) with 401', async () => {
      const { id } = await sentEmailMessage();
      const response = await post({ type: 'bounce', messageId: id }, (raw) =>
        signGenericWebhook(WEBHOOK_SECRET, now() - 301, raw),
      );
      expect(response.status).toBe(401);
    });

    it('should accept a replayed event but change nothing the second time', async () => {
      const { email, id } = await sentEmailMessage();
      const body = { type: 'bounce', messageId: id, permanent: true, reason: 'mailbox gone' };
      const raw = JSON.stringify(body);
      const header = signGenericWebhook(WEBHOOK_SECRET, now(), raw);
      const send = () =>
        sut.http.post('/api/delivery/webhooks/generic', undefined, {
          raw: { payload: raw, contentType: 'application/json' },
          headers: { 'x-secureauth-signature': header },
        });
      expect((await send()).status).toBe(204);
      const suppressions = await admin((delivery) =>
        delivery.query.listSuppressions({ tenantId: 'default' }, { limit: 100 }),
      );
      const entry = suppressions.items.find((item) => item.destination === `${email[0]}***@example.com`);
      expect(entry).toBeDefined();
      // An admin lifts the suppression; the replayed bounce must not put it back.
      await admin((delivery) =>
        delivery.suppressions.lift({ tenantId: 'default' }, entry!.id, '00000000-0000-4000-8000-000000000000'),
      );
      expect((await send()).status).toBe(204);
      expect(
        await sut.app
          .get(SuppressionListService)
          .isSuppressed('default', { channel: 'email', address: email }, sut.app.get(EntityManager).fork()),
      ).toBe(false);
      expect((await auditTypes(id)).filter((type) => type === 'delivery.bounced')).toHaveLength(1);
    });

    it('should never move a status backwards (delivered stays delivered)', async () => {
      const { email, id } = await sentEmailMessage();
      expect(
        (await post({ type: 'delivered', messageId: id }, (raw) => signGenericWebhook(WEBHOOK_SECRET, now(), raw)))
          .status,
      ).toBe(204);
      expect(
        (
          await post({ type: 'failed', messageId: id, reason: 'late' }, (raw) =>
            signGenericWebhook(WEBHOOK_SECRET, now(), raw),
          )
        ).status,
      ).toBe(204);
      expect((await messagesTo({ channel: 'email', address: email })).at(-1)?.status).toBe('delivered');
    });

    it('should suppress the recipient of a complaint', async () => {
      const { email, id } = await sentEmailMessage();
      const response = await post({ type: 'complaint', messageId: id }, (raw) =>
        signGenericWebhook(WEBHOOK_SECRET, now(), raw),
      );
      expect(response.status).toBe(204);
      // Suppression is checked before the resend cooldown: the answer is 422 at once.
      const next = await sut.http.post('/api/auth/send-otp', { email });
      expect(next.status).toBe(422);
      expect(next.body.code).toBe('DESTINATION_UNDELIVERABLE');
    });

    it('should keep JSON parsing intact on other routes', async () => {
      const response = await sut.http.post('/api/auth/send-otp', undefined, {
        raw: { payload: '{"email": ', contentType: 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });
  });

  it('should publish delivery metrics: outcomes by channel, latency and queue depth', async () => {
    const metrics = await sut.http.fork().get('/metrics', { token: METRICS_TOKEN });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/delivery_messages_total\{channel="email",outcome="sent"\} [1-9]/);
    expect(metrics.text).toMatch(/delivery_messages_total\{channel="sms",outcome="bounced"\} [1-9]/);
    expect(metrics.text).toContain('delivery_latency_seconds_bucket{le="0.5",channel="email"}');
    expect(metrics.text).toMatch(/delivery_queue_depth\{state="waiting"\} \d+/);
  });

  describe('queue dashboard (/admin/queues)', () => {
    const queue = () => sut.app.get<Queue>(getQueueToken(DELIVERY_QUEUE));

    async function tokenOf(roles: User['roles'], { isPlatformAdmin = false } = {}): Promise<string> {
      const email = uniqueEmail('dashboard');
      await createUser(sut, { email, roles, isPlatformAdmin });
      const next = smtp.nextCode(email);
      expect((await sut.http.post('/api/auth/send-otp', { email })).status).toBe(202);
      const login = await sut.http.fork().post('/api/auth/verify-otp', { email, otp: await next, client: 'native' });
      expect(login.status).toBe(200);
      return login.body.accessToken as string;
    }

    // The queue is shared by every test of the file: a pause that got through must not stall the others.
    afterEach(async () => {
      if (await queue().isPaused()) await queue().resume();
    });

    it('should refuse a caller without a token with 401', async () => {
      const response = await sut.http.fork().get('/admin/queues');
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    });

    it('should refuse a signed-in user who is not an admin with 403', async () => {
      const response = await sut.http.fork().get('/admin/queues', { token: await tokenOf(['user']) });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('FORBIDDEN');
      const api = await sut.http.fork().get('/admin/queues/api/queues', { token: await tokenOf(['support']) });
      expect(api.status).toBe(403);
    });

    it("should not let a tenant's admin see or pause the delivery queue that every tenant shares", async () => {
      const tenantId = await createTenant(sut, `acme-${Date.now().toString(36)}`);
      const acmeAdmin = await signedInAs(sut, ['user', 'admin'], { tenantId });
      const defaultAdmin = await signedInAs(sut, ['user', 'admin']);
      for (const caller of [acmeAdmin, defaultAdmin]) {
        for (const [method, path] of [
          ['GET', '/admin/queues'],
          ['GET', '/admin/queues/api/queues'],
          ['PUT', '/admin/queues/api/queues/pause'],
          ['PUT', `/admin/queues/api/queues/${DELIVERY_QUEUE}/pause`],
          ['PUT', `/admin/queues/api/queues/${DELIVERY_QUEUE}/clean/completed`],
        ]) {
          const response = await sut.http
            .fork()
            .request(method, path, { token: caller.token, headers: tenantHeader(caller.tenantId) });
          expect({ method, path, tenant: caller.tenantId, status: response.status }).toEqual({
            method,
            path,
            tenant: caller.tenantId,
            status: 403,
          });
          expect(response.body.code).toBe('FORBIDDEN');
        }
      }
      expect(await queue().isPaused()).toBe(false);
    });

    it('should show the dashboard to a platform admin, who may pause and resume the queue', async () => {
      const token = await tokenOf(['user', 'admin'], { isPlatformAdmin: true });
      const page = await sut.http.fork().get('/admin/queues', { token });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const queues = await sut.http.fork().get('/admin/queues/api/queues', { token });
      expect(queues.status).toBe(200);
      expect(JSON.stringify(queues.body)).toContain('delivery');
      expect((await sut.http.fork().request('PUT', '/admin/queues/api/queues/pause', { token })).status).toBe(200);
      expect(await queue().isPaused()).toBe(true);
      expect((await sut.http.fork().request('PUT', '/admin/queues/api/queues/resume', { token })).status).toBe(200);
      expect(await queue().isPaused()).toBe(false);
    });

    it('should refuse a platform admin demoted in the database on the very next dashboard request', async () => {
      const token = await tokenOf(['user', 'admin'], { isPlatformAdmin: true });
      expect((await sut.http.fork().get('/admin/queues/api/queues', { token })).status).toBe(200);
      const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string };
      // Straight in the database: the token and the live session still say admin.
      await sut.app
        .get(EntityManager)
        .fork()
        .nativeUpdate(User, { id: payload.sub }, { roles: ['user'] });
      const refused = await sut.http.fork().get('/admin/queues/api/queues', { token });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN');
    });
  });
});
