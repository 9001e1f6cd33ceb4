import { MikroORM, RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { RequestContext as Ctx } from '../../src/common/http/request-context';
import { DestinationHasher } from '../../src/modules/delivery/destination-hasher';
import { OtpService } from '../../src/modules/otp/otp.service';
import type { OtpDestination } from '../../src/modules/otp/otp.types';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';

const ctx: Ctx = { requestId: 'test', ip: '127.0.0.1', userAgent: 'jest', tenantId: 'default' };

describe('OtpService over email (service contract)', () => {
  let smtp: SmtpTestServer;
  let app: TestApp;
  let sut: OtpService;
  let n = 0;
  const nextEmail = () => `otp-service-${Date.now()}-${n++}@example.com`;
  const email = (address: string): OtpDestination => ({ channel: 'email', address });
  const inContext = <T>(work: () => Promise<T>) => RequestContext.create<Promise<T>>(app.app.get(MikroORM).em, work);

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    app = await startTestApp({ SMTP_URL: smtp.url, OTP_RESEND_COOLDOWN: '1', DELIVERY_BACKOFF_MS: '200' });
    sut = app.app.get(OtpService);
  });
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  it('should email a 6-digit code that verifies once', async () => {
    const address = nextEmail();
    const result = await inContext(() =>
      sut.issue({ tenantId: 'default', purpose: 'email_verify', destination: email(address), ctx }),
    );
    expect(result).toEqual({ channel: 'email', expiresIn: 300, resendAfter: 1 });
    const code = await smtp.waitForCode(address);
    expect(code).toMatch(/^\d{6}$/);
    const mail = await smtp.waitForMail(address);
    expect(mail.headers['x-secureauth-message-id']).toMatch(/^[0-9a-f-]{36}$/);
    await inContext(() =>
      sut.verify({ tenantId: 'default', purpose: 'email_verify', destination: email(address), code }),
    );
    await expect(
      inContext(() => sut.verify({ tenantId: 'default', purpose: 'email_verify', destination: email(address), code })),
    ).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
  });

  it('should write the otp.sent event beside the message row with the columns AuditService.record gives an event', async () => {
    const address = nextEmail();
    const userId = randomUUID();
    await inContext(() =>
      sut.issue({ tenantId: 'default', purpose: 'login', destination: email(address), userId, ctx }),
    );
    const db = app.app.get(EntityManager).fork().getConnection();
    const [message] = await db.execute<Array<{ id: string; purpose: string; user_id: string; created_at: Date }>>(
      `select "id", "purpose", "user_id", "created_at" from "delivery_message" where "destination_hash" = ?`,
      [app.app.get(DestinationHasher).hash(email(address))],
    );
    expect(message).toMatchObject({ purpose: 'login', user_id: userId });
    const events = await db.execute<Array<Record<string, unknown>>>(
      `select * from "audit_event" where "type" = 'otp.sent' and "data"->>'messageId' = ?`,
      [message.id],
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenant_id: 'default',
      outcome: 'success',
      actor_id: userId,
      subject_id: userId,
      session_id: null,
      device_id: null,
      ip: ctx.ip,
      user_agent: ctx.userAgent,
      request_id: ctx.requestId,
      created_at: message.created_at,
      data: { purpose: 'login', channel: 'email', destination: `${address[0]}***@example.com`, messageId: message.id },
    });
  });

  it('should not accept a code issued for another purpose', async () => {
    const address = nextEmail();
    await inContext(() =>
      sut.issue({ tenantId: 'default', purpose: 'password_reset', destination: email(address), ctx }),
    );
    const code = await smtp.waitForCode(address);
    await expect(
      inContext(() => sut.verify({ tenantId: 'default', purpose: 'email_verify', destination: email(address), code })),
    ).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
  });

  it('should give MFA email codes the longer MFA_EMAIL_OTP_TTL (600 s)', async () => {
    const address = nextEmail();
    const result = await inContext(() =>
      sut.issue({ tenantId: 'default', purpose: 'mfa_email', destination: email(address), ctx }),
    );
    expect(result.expiresIn).toBe(600);
    const code = await smtp.waitForCode(address);
    await inContext(() => sut.verify({ tenantId: 'default', purpose: 'mfa_email', destination: email(address), code }));
  });

  it('should keep codes of different tenants apart', async () => {
    const address = nextEmail();
    await inContext(() => sut.issue({ tenantId: 'default', purpose: 'login', destination: email(address), ctx }));
    const code = await smtp.waitForCode(address);
    await expect(
      inContext(() => sut.verify({ tenantId: 'other-tenant', purpose: 'login', destination: email(address), code })),
    ).rejects.toMatchObject({ code: 'OTP_EXPIRED' });
  });
});
