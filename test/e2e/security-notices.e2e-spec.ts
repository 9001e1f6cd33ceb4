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
