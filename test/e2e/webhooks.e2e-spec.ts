import { EntityManager } from '@mikro-orm/postgresql';
import { CryptoService } from '../../src/common/crypto/crypto.service';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { WebhookEndpoint } from '../../src/modules/webhooks/webhook.entities';
import { WebhookEndpoints } from '../../src/modules/webhooks/webhook-endpoints.service';
import { WebhookDeliveries } from '../../src/modules/webhooks/webhook-deliveries.service';
import { WEBHOOK_EVENT_TYPES } from '../../src/modules/webhooks/webhook-events';
import { eventually } from '../support/eventually';
import { uniqueEmail } from '../support/otp-test-helpers';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';
import { createTenant, createWebhookDelivery, signedInAs, type SignedIn } from './admin-support';
import { enrolTotp, totpCode } from './mfa-support';
import { TestClock } from '../support/test-clock';

const PASSWORD = 'webhooks are the glue 2026';

/**
 * Outbound event webhooks (API.md "Outbound event webhooks"): an admin registers an endpoint,
 * and a local receiver checks every delivery with the Standard Webhooks reference library.
 * Receivers live on 127.0.0.1, so this app allows private destinations; the SSRF refusals
 * have an app of their own that does not.
 */
describe('outbound event webhooks (e2e)', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({
      SMTP_URL: smtp.url,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_ATTEMPTS: '3',
      WEBHOOK_BACKOFF_MS: '20',
      WEBHOOK_TIMEOUT_MS: '500',
      // Far longer than the retry test's failing streak (a 500, then a timeout), far shorter than a day.
      WEBHOOK_DISABLE_AFTER_MS: '3000',
      REFRESH_REUSE_GRACE_SECONDS: '0',
      THROTTLE_AUTH_LIMIT: '1000',
    });
    admin = await signedInAs(sut, ['admin']);
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });

  /** A receiver with an endpoint of its own in the admin's tenant. */
  async function endpointFor(events: string[] = ['*'], tenantAdmin: SignedIn = admin) {
    const receiver = await WebhookReceiver.start();
    const created = await clientOf(tenantAdmin).post(
      '/api/admin/webhooks',
      { url: receiver.url(), events },
      { token: tenantAdmin.token },
    );
    expect(created.status).toBe(201);
    receiver.setSecret(created.body.secret);
    return { receiver, endpoint: created.body as { id: string; secret: string } };
  }

  /** The API as an admin of that tenant calls it. */
  const clientOf = (caller: SignedIn) => sut.http.fork({ 'x-tenant-id': caller.tenantId });

  /** Sign up and verify the email, as a user does: the events of an account's first minute. */
  async function signUp(email = uniqueEmail('hook')) {
    const client = sut.http.fork();
    expect((await client.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
    const otp = await smtp.waitForCode(email);
    const verified = await client.post('/api/auth/email/verify', { email, otp, client: 'native' });
    expect(verified.status).toBe(200);
    return { email, userId: verified.body.user.id as string, token: verified.body.accessToken as string };
  }

  const deliveriesOf = async (endpointId: string, query = '') =>
    (await sut.http.get(`/api/admin/webhooks/${endpointId}/deliveries${query}`, { token: admin.token })).body
      .items as Array<Record<string, any>>;

  const forUser = (receiver: WebhookReceiver, userId: string, type: string) =>
    receiver.waitFor((hook) => hook.type === type && (hook.body as any).data?.userId === userId);

  it('should tell the receiver of a sign-up and a sign-in, signed as Standard Webhooks', async () => {
    const { receiver } = await endpointFor();
    try {
      const { email, userId } = await signUp();
      const created = await forUser(receiver, userId, 'user.created');
      const verified = await forUser(receiver, userId, 'user.email_verified');
      const session = await forUser(receiver, userId, 'session.created');
      await forUser(receiver, userId, 'login.succeeded');

      for (const hook of [created, verified, session]) {
        expect(hook.verified).toBe(true);
        expect(hook.headers['webhook-id']).toBe((hook.body as any).id);
        expect(hook.body).toMatchObject({ tenantId: 'default', timestamp: expect.any(String) });
      }
      expect((created.body as any).data).toEqual({ userId, email, phone: null, method: 'password' });
      expect((session.body as any).data).toMatchObject({
        userId,
        sessionId: expect.any(String),
        deviceId: expect.any(String),
      });
      // Ids and facts only: no code, token, hash or password reached the receiver.
      const everything = receiver.received.map((hook) => hook.rawBody).join('\n');
      expect(everything).not.toMatch(
        /eyJ|\$argon2|whsec_|"(otp|code|token|refreshToken|accessToken|password|secret)":/,
      );
      expect(everything).not.toContain(PASSWORD);

      const login = await sut.http.fork().post('/api/auth/login', { email, password: PASSWORD, client: 'native' });
      expect(login.status).toBe(200);
      const signedIn = await receiver.waitFor(
        (hook) => hook.type === 'login.succeeded' && (hook.body as any).data.sessionId === login.body.sessionId,
      );
      expect((signedIn.body as any).data).toMatchObject({ userId, email, method: 'password' });
    } finally {
      await receiver.close();
    }
  });

  it('should deliver every event type to an endpoint subscribed to all', async () => {
    const { receiver } = await endpointFor(['*']);
    try {
      const { email, userId, token } = await signUp();
      const api = sut.http.fork();
      // login.failed, then a session whose refresh token is replayed: refresh.reuse_detected and session.revoked.
      expect((await api.post('/api/auth/login', { email, password: 'not the password at all' })).status).toBe(401);
      const login = await api.post('/api/auth/login', { email, password: PASSWORD, client: 'native' });
      const rotated = await api.post('/api/auth/refresh', { refreshToken: login.body.refreshToken });
      expect(rotated.status).toBe(200);
      expect((await api.post('/api/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
      // user.updated, mfa.enabled / mfa.disabled, password.changed.
      expect((await api.patch('/api/account/profile', { firstName: 'Ada' }, { token })).status).toBe(200);
      const { secret } = await enrolTotp(sut, token);
      const clock = TestClock.of(sut);
      clock.advance(30_000); // The next step: the enrolment's code is spent.
      try {
        const off = await api.delete('/api/mfa/totp', { body: { code: totpCode(secret, clock.nowMs()) }, token });
        expect(off.status).toBe(204);
      } finally {
        clock.reset();
      }
      const changed = await api.post(
        '/api/auth/password/change',
        { currentPassword: PASSWORD, newPassword: `${PASSWORD} and more` },
        { token },
      );
      expect(changed.status).toBe(204);
      // delivery.bounced: the mailbox refuses the next message for good.
      smtp.failNext(1, 550);
      expect((await api.post('/api/auth/password/forgot', { email })).status).toBe(202);
      await forUser(receiver, userId, 'delivery.bounced');
      // user.deleted (a fresh sign-in is recent enough for the step-up).
      const fresh = await api.post('/api/auth/login', { email, password: `${PASSWORD} and more`, client: 'native' });
      expect((await api.delete('/api/account', { token: fresh.body.accessToken })).status).toBe(202);

      for (const type of WEBHOOK_EVENT_TYPES) {
        const hook = await (type === 'login.failed'
          ? receiver.waitFor((h) => h.type === type && (h.body as any).data.userId === userId)
          : forUser(receiver, userId, type));
        expect(hook.verified).toBe(true);
      }
      const bounced = receiver.events('delivery.bounced').find((hook) => (hook.body as any).data.userId === userId)!;
      expect((bounced.body as any).data).toMatchObject({ messageId: expect.any(String), channel: 'email' });
      const factor = receiver.events('mfa.enabled').find((hook) => (hook.body as any).data.userId === userId)!;
      expect((factor.body as any).data).toMatchObject({ method: 'totp', email });
    } finally {
      await receiver.close();
    }
  });

  it('should send only the subscribed types, and nothing of another tenant', async () => {
    const { receiver } = await endpointFor(['user.created']);
    const otherTenant = await createTenant(sut);
    const otherAdmin = await signedInAs(sut, ['admin'], { tenantId: otherTenant });
    const { receiver: elsewhere } = await endpointFor(['*'], otherAdmin);
    try {
      const { userId } = await signUp();
      await forUser(receiver, userId, 'user.created');
      await eventually('the sign-up to settle', async () => (await deliveriesOf((await list())[0].id)).length >= 1);
      expect(receiver.received.filter((hook) => hook.type !== 'user.created')).toEqual([]);
      expect(elsewhere.received).toEqual([]);
    } finally {
      await receiver.close();
      await elsewhere.close();
    }
    async function list() {
      return (await sut.http.get('/api/admin/webhooks', { token: admin.token })).body.items as Array<{ id: string }>;
    }
  });

  it('should retry after 500s and a timeout, and record every attempt', async () => {
    const { receiver, endpoint } = await endpointFor(['user.created']);
    try {
      receiver.failNext(1, 500);
      receiver.hangNext(1);
      const { userId } = await signUp();
      const hook = await receiver.waitFor((h) => h.status === 200 && (h.body as any).data?.userId === userId);
      expect(hook.verified).toBe(true);
      // The same event id on every attempt: receivers deduplicate on webhook-id.
      const attempts = receiver.received.filter((h) => (h.body as any).data?.userId === userId);
      expect(new Set(attempts.map((h) => h.id)).size).toBe(1);

      const [delivery] = await eventually('the delivery to succeed', async () => {
        const items = await deliveriesOf(endpoint.id, '?status=succeeded');
        return items.length > 0 ? items : undefined;
      });
      expect(delivery).toMatchObject({ type: 'user.created', status: 'succeeded', attempts: 3, responseStatus: 200 });
      expect(
        delivery.attemptLog.map((a: { responseStatus: number | null; error: string | null }) => [
          a.responseStatus,
          a.error,
        ]),
      ).toEqual([
        [500, null],
        [null, 'timeout'],
        [200, null],
      ]);
      expect(JSON.stringify(delivery)).not.toContain(endpoint.secret);
      const listed = await sut.http.get('/api/admin/webhooks', { token: admin.token });
      expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    } finally {
      await receiver.close();
    }
  });

  it('should not follow a redirect', async () => {
    const { receiver, endpoint } = await endpointFor(['user.created']);
    const trap = await WebhookReceiver.start();
    try {
      receiver.redirectNext(3, trap.url('/stolen'));
      await signUp();
      const [failed] = await eventually('the delivery to fail', async () => {
        const items = await deliveriesOf(endpoint.id, '?status=failed');
        return items.length > 0 ? items : undefined;
      });
      expect(failed.attemptLog.map((a: { responseStatus: number }) => a.responseStatus)).toEqual([302, 302, 302]);
      expect(trap.received).toEqual([]);
    } finally {
      await receiver.close();
      await trap.close();
    }
  });

  it('should disable an endpoint failing for longer than WEBHOOK_DISABLE_AFTER_MS, and deliver again once enabled and retried', async () => {
    const { receiver, endpoint } = await endpointFor(['user.created']);
    try {
      receiver.failNext(1000, 503);
      const first = await signUp();
      await eventually(
        'the first delivery to fail',
        async () => (await deliveriesOf(endpoint.id, '?status=failed')).length === 1,
      );
      await new Promise((resolve) => setTimeout(resolve, 3100));
      await signUp();
      const disabled = await eventually('the endpoint to be disabled', async () => {
        const items = (await sut.http.get('/api/admin/webhooks', { token: admin.token })).body.items as any[];
        const mine = items.find((item) => item.id === endpoint.id);
        return mine.enabled === false ? mine : undefined;
      });
      expect(disabled).toMatchObject({ disabledReason: 'failing', lastFailureAt: expect.any(String) });
      const events = await sut.app.get(EntityManager).fork().find(AuditEvent, { type: 'webhook.disabled' });
      expect(events.filter((event) => (event.data as any).endpointId === endpoint.id)).toHaveLength(1);

      // Disabled: a new event reaches it no more, and a retry is refused.
      const before = receiver.received.length;
      await signUp();
      const [failed] = await deliveriesOf(endpoint.id, '?status=failed');
      const refused = await sut.http.post(
        `/api/admin/webhooks/${endpoint.id}/deliveries/${failed.id}/retry`,
        undefined,
        { token: admin.token },
      );
      expect([refused.status, refused.body.code]).toEqual([409, 'CONFLICT']);
      expect(receiver.received).toHaveLength(before);

      // The receiver is fixed: enable, and retry the first event by hand.
      receiver.answerNormally();
      const enabled = await sut.http.patch(
        `/api/admin/webhooks/${endpoint.id}`,
        { enabled: true },
        { token: admin.token },
      );
      expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
      const firstDelivery = (await deliveriesOf(endpoint.id, '?status=failed')).at(-1)!;
      const retried = await sut.http.post(
        `/api/admin/webhooks/${endpoint.id}/deliveries/${firstDelivery.id}/retry`,
        undefined,
        { token: admin.token },
      );
      expect(retried.status).toBe(202);
      const redelivered = await receiver.waitFor((h) => h.id === firstDelivery.eventId && h.status === 200);
      expect(redelivered.verified).toBe(true);
      expect((redelivered.body as any).data.userId).toBe(first.userId);
    } finally {
      await receiver.close();
    }
  });

  it('should deliver a recorded event whose job never reached the queue (the process died in between)', async () => {
    const { receiver, endpoint } = await endpointFor(['user.created']);
    try {
      const deliveryId = await createWebhookDelivery(sut, endpoint.id);
      expect(await sut.app.get(WebhookDeliveries).requeueStranded(0)).toBeGreaterThanOrEqual(1);
      const [delivered] = await eventually('the stranded delivery to succeed', async () => {
        const items = (await deliveriesOf(endpoint.id, '?status=succeeded')).filter((d) => d.id === deliveryId);
        return items.length > 0 ? items : undefined;
      });
      expect(receiver.events('user.created').find((hook) => hook.id === delivered.eventId)?.verified).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('should validate endpoints and keep them within the tenant', async () => {
    const bad = async (body: unknown) => {
      const response = await sut.http.post('/api/admin/webhooks', body, { token: admin.token });
      return [response.status, response.body.code];
    };
    expect(await bad({ url: 'ftp://hooks.example/x', events: ['*'] })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await bad({ url: 'https://user:pw@hooks.example/x', events: ['*'] })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await bad({ url: 'http://127.0.0.1:9/x', events: ['user.exploded'] })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await bad({ url: 'http://127.0.0.1:9/x', events: [] })).toEqual([400, 'VALIDATION_FAILED']);

    const { receiver, endpoint } = await endpointFor(['user.created']);
    await receiver.close();
    const otherAdmin = await signedInAs(sut, ['admin'], { tenantId: await createTenant(sut) });
    for (const call of [
      () =>
        clientOf(otherAdmin).patch(
          `/api/admin/webhooks/${endpoint.id}`,
          { enabled: false },
          { token: otherAdmin.token },
        ),
      () => clientOf(otherAdmin).get(`/api/admin/webhooks/${endpoint.id}/deliveries`, { token: otherAdmin.token }),
      () => clientOf(otherAdmin).delete(`/api/admin/webhooks/${endpoint.id}`, { token: otherAdmin.token }),
      () => sut.http.delete('/api/admin/webhooks/not-a-uuid', { token: admin.token }),
    ]) {
      const response = await call();
      expect([response.status, response.body.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await sut.http.delete(`/api/admin/webhooks/${endpoint.id}`, { token: admin.token })).status).toBe(204);
  });
});

describe('outbound event webhooks without WEBHOOK_ALLOW_PRIVATE (e2e)', () => {
  let sut: TestApp;
  let admin: SignedIn;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sut = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_ATTEMPTS: '2', WEBHOOK_BACKOFF_MS: '20' });
    admin = await signedInAs(sut, ['admin']);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await sut?.close();
  });

  it('should refuse loopback, private and link-local destinations, by address or by a name resolving to one', async () => {
    for (const url of [
      receiver.url(),
      `http://localhost:${receiver.port}/webhooks`,
      'http://10.0.0.7/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
    ]) {
      const response = await sut.http.post('/api/admin/webhooks', { url, events: ['*'] }, { token: admin.token });
      expect([url, response.status, response.body.code]).toEqual([url, 400, 'VALIDATION_FAILED']);
    }
  });

  it('should refuse again at each send: a destination that became private gets no request', async () => {
    // As if the name had resolved to a public address when it was registered (DNS rebinding).
    const em = sut.app.get(EntityManager).fork();
    const endpoint = em.create(WebhookEndpoint, {
      tenantId: 'default',
      url: `http://localhost:${receiver.port}/webhooks`,
      events: ['user.updated'],
      secret: 'pending' as never,
    });
    endpoint.secret = sut.app.get(CryptoService).encrypt('whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==', endpoint.id);
    await em.flush();
    // Written behind the service's back, like a change in another process: seen without waiting for the cache.
    sut.app.get(WebhookEndpoints).forgetSubscribers('default');
    const user = await signedInAs(sut, ['user']);
    expect((await sut.http.patch('/api/account/profile', { firstName: 'Eve' }, { token: user.token })).status).toBe(
      200,
    );

    const [delivery] = await eventually('the delivery to be refused', async () => {
      const items = (
        await sut.http.get(`/api/admin/webhooks/${endpoint.id}/deliveries?status=failed`, { token: admin.token })
      ).body.items as any[];
      return items.length > 0 ? items : undefined;
    });
    // Refused is final: one attempt, no retry, nothing reached the receiver.
    expect(delivery.attemptLog).toEqual([expect.objectContaining({ responseStatus: null, error: 'refused' })]);
    expect(receiver.received).toEqual([]);
  });
});
