import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { MetricsService } from '../../src/common/metrics/metrics.service';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { AuditService } from '../../src/modules/audit/audit.service';
import { type DomainEvent, DomainEvents } from '../../src/modules/audit/domain-events';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'correct horse battery staple';
const uniqueEmail = (label = 'user') => `${label}-${randomBytes(5).toString('hex')}@example.com`;

describe('sign-in events (e2e)', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({ SMTP_URL: smtp.url, THROTTLE_AUTH_LIMIT: '100000', THROTTLE_DEFAULT_LIMIT: '100000' });
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });

  const em = () => sut.app.get(EntityManager).fork();

  async function loginCount(method: string, outcome: string): Promise<number> {
    const metric = await sut.app.get(MetricsService).loginOutcomes.get();
    return (
      metric.values.find((entry) => entry.labels.method === method && entry.labels.outcome === outcome)?.value ?? 0
    );
  }

  async function verifiedAccount(): Promise<{ email: string; session: { sessionId: string; refreshToken: string } }> {
    const email = uniqueEmail();
    const before = smtp.mailsTo(email).length;
    expect((await sut.http.post('/api/auth/register', { email, password: PASSWORD })).status).toBe(202);
    const code = await smtp.waitForCode(email, { skip: before });
    const verified = await sut.http.post('/api/auth/email/verify', { email, otp: code, client: 'native' });
    expect(verified.status).toBe(200);
    return { email, session: verified.body };
  }

  describe('verifying the email', () => {
    it('should finish like every sign-in: login.succeeded with the session, and counted', async () => {
      const countedBefore = await loginCount('email_verify', 'success');
      const { session } = await verifiedAccount();
      const events = await em().find(AuditEvent, { sessionId: session.sessionId, type: 'login.succeeded' });
      expect(events).toHaveLength(1);
      expect(events[0].data).toEqual({ method: 'email_verify' });
      expect(events[0].deviceId).toEqual(expect.any(String));
      expect(await loginCount('email_verify', 'success')).toBe(countedBefore + 1);
    });
  });

  describe('login metrics', () => {
    it('should count a password login and a wrong password from their audited events', async () => {
      const { email } = await verifiedAccount();
      const [successes, failures] = [
        await loginCount('password', 'success'),
        await loginCount('password', 'invalid_credentials'),
      ];
      const wrong = await sut.http.fork().post('/api/auth/login', { email, password: 'not the password at all' });
      expect(wrong.status).toBe(401);
      const right = await sut.http.fork().post('/api/auth/login', { email, password: PASSWORD, client: 'native' });
      expect(right.status).toBe(200);
      expect(await loginCount('password', 'invalid_credentials')).toBe(failures + 1);
      expect(await loginCount('password', 'success')).toBe(successes + 1);
    });
  });

  describe('domain events', () => {
    const heard: DomainEvent[] = [];
    beforeAll(() => {
      sut.app.get(DomainEvents).on('tenant.settings_changed', (event) => void heard.push(event));
    });
    beforeEach(() => heard.splice(0));

    const event = (marker: string) =>
      ({ type: 'tenant.settings_changed', outcome: 'success', tenantId: 'default', data: { marker } }) as const;

    it('should tell listeners of an event written in a transaction only once it committed', async () => {
      const marker = randomBytes(4).toString('hex');
      await em().transactional(async (tx) => {
        await sut.app.get(AuditService).record(event(marker), undefined, tx);
        expect(heard).toHaveLength(0);
      });
      expect(heard.map((entry) => entry.event.data)).toEqual([{ marker }]);
    });

    it('should not tell listeners of an event whose transaction rolled back', async () => {
      const marker = randomBytes(4).toString('hex');
      await expect(
        em().transactional(async (tx) => {
          await sut.app.get(AuditService).record(event(marker), undefined, tx);
          throw new Error('the action failed');
        }),
      ).rejects.toThrow('the action failed');
      expect(heard).toHaveLength(0);
      expect(await em().count(AuditEvent, { type: 'tenant.settings_changed', data: { marker } })).toBe(0);
    });

    it('should wait for the outer transaction when the event was written in a nested one', async () => {
      const marker = randomBytes(4).toString('hex');
      await em().transactional(async (outer) => {
        await outer.transactional(async (inner) => {
          await sut.app.get(AuditService).record(event(marker), undefined, inner);
        });
        expect(heard).toHaveLength(0);
      });
      expect(heard).toHaveLength(1);
    });

    it('should tell listeners of the events a single statement writes: a code sent, a refresh', async () => {
      const written: DomainEvent[] = [];
      const events = sut.app.get(DomainEvents);
      events.on('otp.sent', (entry) => void written.push(entry));
      events.on('session.refreshed', (entry) => void written.push(entry));
      const { email, session } = await verifiedAccount();
      expect((await sut.http.post('/api/auth/password/forgot', { email })).status).toBe(202);
      const refresh = await sut.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
      expect(refresh.status).toBe(200);
      const userId = (await em().findOneOrFail(AuditEvent, { sessionId: session.sessionId })).subjectId;
      expect(written.filter((entry) => entry.event.subjectId === userId).map((entry) => entry.event.type)).toEqual([
        'otp.sent', // the registration's code
        'otp.sent', // the reset code
        'session.refreshed',
      ]);
      expect(written.find((entry) => entry.event.type === 'session.refreshed')?.event.sessionId).toBe(
        session.sessionId,
      );
    });

    it('should tell listeners at once of an event written outside a transaction', async () => {
      const marker = randomBytes(4).toString('hex');
      await sut.app.get(AuditService).record(event(marker), undefined, em());
      expect(heard).toHaveLength(1);
    });
  });
});
