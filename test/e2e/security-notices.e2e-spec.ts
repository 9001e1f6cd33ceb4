import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { enrolTotp, PASSWORD, passwordUser, totpCode } from './mfa-support';

/** API.md: password and factor changes send the owner a security notice by email, once they committed. */
describe('security notices', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;
  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({ SMTP_URL: smtp.url, THROTTLE_ENABLED: 'false' });
  });
  afterAll(async () => {
    await sut.close();
    await smtp.close();
  });

  const subjects = (email: string) => smtp.mailsTo(email).map((mail) => mail.headers.subject);
  const noticeArrives = (email: string, subject: string) =>
    smtp.waitForMail(email, { skip: smtp.mailsTo(email).length }).then((mail) => {
      expect(mail.headers.subject).toBe(subject);
      return mail;
    });

  it('should tell the owner their password changed, and not when a change was refused', async () => {
    const { email, token } = await passwordUser(sut);
    const wrong = await sut.http.post(
      '/api/auth/password/change',
      { currentPassword: 'not it at all', newPassword: 'a brand new password 42' },
      { token, cookies: false },
    );
    expect(wrong.status).toBe(401);
    const arrives = noticeArrives(email, 'Your password was changed');
    const changed = await sut.http.post(
      '/api/auth/password/change',
      { currentPassword: PASSWORD, newPassword: 'a brand new password 42' },
      { token, cookies: false },
    );
    expect(changed.status).toBe(204);
    const notice = await arrives;
    expect(notice.body).toContain("If this wasn't you");
    expect(subjects(email)).toEqual(['Your password was changed']);
  });

  it("should write the notice in the owner's language, whatever the browser that made the change asks for", async () => {
    const { email, token } = await passwordUser(sut);
    const german = await sut.http.request('PATCH', '/api/account/profile', {
      token,
      body: { locale: 'de-DE' },
      cookies: false,
    });
    expect(german.status).toBe(200);
    const arrives = noticeArrives(email, 'Ihr Passwort wurde geändert');
    const changed = await sut.http.post(
      '/api/auth/password/change',
      { currentPassword: PASSWORD, newPassword: 'ein ganz neues Passwort 42' },
      { token, cookies: false, headers: { 'accept-language': 'en-US' } },
    );
    expect(changed.status).toBe(204);
    expect((await arrives).body).toContain('Wenn Sie das nicht waren');
  });

  it('should send a code in the language the browser asks for when the address has no account yet', async () => {
    const email = `neu-${Date.now()}@example.com`;
    const registered = await sut.http.post(
      '/api/auth/register',
      { email, password: 'ein ganz neues Passwort 42' },
      { cookies: false, headers: { 'accept-language': 'de-CH, en;q=0.5' } },
    );
    expect(registered.status).toBe(202);
    const mail = await smtp.waitForMail(email);
    expect(mail.headers.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse');
  });

  it('should tell the owner a second factor was added and removed', async () => {
    const { email, token } = await passwordUser(sut);
    const added = noticeArrives(email, 'A second factor was added');
    const { secret } = await enrolTotp(sut, token);
    await added;
    const removed = noticeArrives(email, 'A second factor was removed');
    const clock = TestClock.of(sut).advance(30_000);
    try {
      const response = await sut.http.request('DELETE', '/api/mfa/totp', {
        token,
        body: { code: totpCode(secret, clock.nowMs()) },
        cookies: false,
      });
      expect(response.status).toBe(204);
    } finally {
      clock.reset();
    }
    await removed;
  });
});
