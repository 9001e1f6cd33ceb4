import { CROSS_SITE_REFUSED } from '../../src/modules/sessions/csrf';
import { uniquePhone } from '../support/otp-test-helpers';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { PASSWORD, passwordUser } from './mfa-support';

/** Same codes as API.md, and an `error` or a detail that tells the caller what to do. */
describe('errors that say what to do', () => {
  let stack: ProviderStack;
  beforeAll(async () => {
    stack = await startProviderStack({ THROTTLE_ENABLED: 'false' });
  });
  afterAll(() => stack.close());
  const http = () => stack.sut.http.fork();

  it('should ask for a phone or an email when send-otp gets neither', async () => {
    const response = await http().post('/api/auth/send-otp', {});
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'phone', message: 'give a phone (E.164, e.g. +14155550123) or an email' }],
    });
  });

  it('should ask for a phone or an email when verify-otp gets neither', async () => {
    const response = await http().post('/api/auth/verify-otp', { otp: '123456' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'phone', message: 'give a phone (E.164, e.g. +14155550123) or an email' }],
    });
  });

  it.each([
    ['/api/auth/send-otp', {}],
    ['/api/auth/verify-otp', { otp: '123456' }],
  ])('should ask for only one of phone and email on %s', async (path, rest) => {
    const response = await http().post(path, { phone: '+14155550123', email: 'ada@example.com', ...rest });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'email', message: 'give either phone or email, not both' }],
    });
  });

  it('should refuse a channel that does not fit the destination instead of ignoring it', async () => {
    const response = await http().post('/api/auth/send-otp', { email: 'ada@example.com', channel: 'sms' });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      { field: 'channel', message: 'applies to a phone only: an email code always goes by email' },
    ]);
  });

  it('should tell a malformed number from a well-formed one that no network assigns', async () => {
    const malformed = await http().post('/api/auth/send-otp', { phone: '0415 555 0123' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.details[0].message).toContain('E.164');
    expect(malformed.body.details).toEqual([
      { field: 'phone', message: 'must be a phone number in E.164 format, with the country code: +14155550123' },
    ]);
    for (const phone of ['+1 555 000 0000', '+999 123 4567']) {
      const unassignable = await http().post('/api/auth/send-otp', { phone });
      expect(unassignable.status).toBe(400);
      expect(unassignable.body.details).toEqual([
        { field: 'phone', message: 'is not an assignable phone number (no such number exists in its country plan)' },
      ]);
    }
  });

  it('should say a code was already used, and that a new one is needed', async () => {
    const phone = uniquePhone();
    const next = stack.whatsapp.nextCode(phone);
    expect((await http().post('/api/auth/send-otp', { phone })).status).toBe(202);
    const otp = await next;
    expect((await http().post('/api/auth/verify-otp', { phone, otp })).status).toBe(200);
    const again = await http().post('/api/auth/verify-otp', { phone, otp });
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({
      code: 'OTP_EXPIRED',
      error: 'No live code here: it was already used or expired. Request a new one',
    });
  });

  it('should say an mfaToken was already used or expired', async () => {
    const response = await http().post('/api/auth/mfa/verify', {
      mfaToken: 'q3Zk2l0m3mZ0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p',
      method: 'totp',
      code: '123456',
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({
      code: 'UNAUTHORIZED',
      error: 'The mfaToken was already used or has expired (it lives 5 minutes): sign in again',
    });
  });

  it('should say why a cookie request without an allowed Origin was refused', async () => {
    const { email } = await passwordUser(stack.sut);
    const browser = http();
    expect((await browser.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
    const refused = await browser.post('/api/auth/logout', undefined, { headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    expect(refused.body.error).toBe(CROSS_SITE_REFUSED);
    expect(refused.body.error).toMatch(/^Cross-site request refused: .*Origin header.*CORS_ORIGINS/);
    const refresh = await browser.post('/api/auth/refresh', undefined, { headers: { origin: 'https://evil.example' } });
    expect([refresh.status, refresh.body.error]).toEqual([403, refused.body.error]);
  });
});
