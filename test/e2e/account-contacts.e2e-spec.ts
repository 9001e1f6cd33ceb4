import { uniqueEmail, uniquePhone } from '../support/otp-test-helpers';
import { startProviderStack, type ProviderStack } from '../support/provider-stack';
import { TestClock } from '../support/test-clock';
import { PASSWORD, passwordUser, signedInUser } from './mfa-support';

/** API.md "Account self-service": email and phone changes, written as an attacker would try them too. */
describe('account email and phone changes', () => {
  let stack: ProviderStack;
  beforeAll(async () => {
    stack = await startProviderStack({ THROTTLE_ENABLED: 'false', OTP_RESEND_COOLDOWN: '0' });
  });
  afterEach(() => TestClock.of(stack.sut).reset());
  afterAll(() => stack.close());

  const post = (path: string, token: string, body: unknown) =>
    stack.sut.http.post(path, body, { token, cookies: false });

  describe('email', () => {
    it('should move the account to the new address with its code, tell the old one, and sign in with the new one', async () => {
      const { email, token } = await passwordUser(stack.sut);
      const newEmail = uniqueEmail('moved');
      const requested = await post('/api/account/email', token, { newEmail });
      expect([requested.status, requested.body]).toEqual([202, { status: 'verification_sent' }]);
      const otp = await stack.smtp.waitForCode(newEmail);
      const verified = await post('/api/account/email/verify', token, { newEmail, otp });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ email: newEmail, emailVerified: true });
      const notice = await stack.smtp.waitForMail(email);
      expect(notice.headers.subject).toBe('Your account email was changed');
      expect(notice.body).toContain(newEmail);
      const login = await stack.sut.http.post(
        '/api/auth/login',
        { email: newEmail, password: PASSWORD },
        { cookies: false },
      );
      expect(login.status).toBe(200);
      const old = await stack.sut.http.post('/api/auth/login', { email, password: PASSWORD }, { cookies: false });
      expect(old.status).toBe(401);
    });

    it('should answer the same for a taken address, and refuse it at verify with 409', async () => {
      const holder = await signedInUser(stack.sut);
      const { token } = await passwordUser(stack.sut);
      const requested = await post('/api/account/email', token, { newEmail: holder.user.email });
      expect([requested.status, requested.body]).toEqual([202, { status: 'verification_sent' }]);
      const otp = await stack.smtp.waitForCode(holder.user.email!);
      const verified = await post('/api/account/email/verify', token, { newEmail: holder.user.email, otp });
      expect([verified.status, verified.body.code]).toEqual([409, 'CONFLICT']);
    });

    it("should not let another account use a code issued for someone else's change", async () => {
      const requester = await passwordUser(stack.sut);
      const mailboxOwner = await passwordUser(stack.sut);
      const newEmail = uniqueEmail('contested');
      await post('/api/account/email', requester.token, { newEmail });
      const otp = await stack.smtp.waitForCode(newEmail);
      const stolen = await post('/api/account/email/verify', mailboxOwner.token, { newEmail, otp });
      expect([stolen.status, stolen.body.code]).toEqual([401, 'OTP_INVALID']);
    });

    it('should need a recent sign-in to ask for a change', async () => {
      const { token } = await passwordUser(stack.sut);
      // Past REAUTH_WINDOW (600 s), within the access token's 15 minutes.
      TestClock.of(stack.sut).advance(601_000);
      const refused = await post('/api/account/email', token, { newEmail: uniqueEmail('late') });
      expect([refused.status, refused.body.code]).toEqual([401, 'REAUTH_REQUIRED']);
    });

    it('should refuse a wrong code and keep the address', async () => {
      const { email, token } = await passwordUser(stack.sut);
      const newEmail = uniqueEmail('wrong');
      await post('/api/account/email', token, { newEmail });
      await stack.smtp.waitForCode(newEmail);
      const wrong = await post('/api/account/email/verify', token, { newEmail, otp: '000000' });
      expect(wrong.status).toBe(401);
      expect((await stack.sut.http.get('/api/account', { token, cookies: false })).body.email).toBe(email);
    });
  });

  describe('phone', () => {
    it('should set and verify the phone with the code sent by WhatsApp', async () => {
      const { token } = await passwordUser(stack.sut);
      const phone = uniquePhone();
      const next = stack.whatsapp.nextCode(phone);
      const requested = await post('/api/account/phone', token, { phone });
      expect(requested.status).toBe(202);
      expect(requested.body).toMatchObject({ status: 'sent', channel: 'whatsapp' });
      const verified = await post('/api/account/phone/verify', token, { phone, otp: await next });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ phone, phoneVerified: true });
    });

    it('should refuse a number another account holds with 409, and numbers send-otp refuses', async () => {
      const phone = uniquePhone();
      const holder = await signedInUser(stack.sut, { phone, phoneVerifiedAt: new Date() });
      expect(holder.user.phone).toBe(phone);
      const { token } = await passwordUser(stack.sut);
      const next = stack.twilio.nextCode(phone);
      expect((await post('/api/account/phone', token, { phone, channel: 'sms' })).status).toBe(202);
      const verified = await post('/api/account/phone/verify', token, { phone, otp: await next });
      expect([verified.status, verified.body.code]).toEqual([409, 'CONFLICT']);
      const landline = await post('/api/account/phone', token, { phone: '+49301234567', channel: 'sms' });
      expect([landline.status, landline.body.code]).toEqual([422, 'DESTINATION_UNDELIVERABLE']);
    });
  });
});
