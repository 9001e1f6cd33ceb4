import { MikroORM, RequestContext } from '@mikro-orm/core';
import type { RequestContext as Ctx } from '../../src/common/http/request-context';
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
