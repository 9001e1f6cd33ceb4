import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { DeliveryMessage } from '../../src/modules/delivery/delivery-message.entity';
import { DeliveryService } from '../../src/modules/delivery/delivery.service';
import type { User } from '../../src/modules/users/user.entity';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

describe('New sign-in notice (e2e)', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await sut.close();
    await smtp.close();
  });

  /** The enqueue is awaited by the sign-in, so the rows are there (or not) when it returns. */
  const noticesFor = (user: User) =>
    sut.app.get(EntityManager).fork().find(DeliveryMessage, { userId: user.id, purpose: 'new_sign_in' });

  const device = (name: string) => ({ id: randomUUID(), name });

  it('should email the user about a new device, but not about the first one nor a known one', async () => {
    const user = await createUser(sut);
    const email = user.email!;
    const laptop = device('Home laptop');
    const phone = device('Work phone');

    await startSession(sut, user, { device: laptop });
    expect(await noticesFor(user)).toHaveLength(0);

    await startSession(sut, user, { device: phone });
    const mail = await smtp.waitForMail(email);
    expect(mail.headers.subject).toBe('New sign-in to your account');
    expect(mail.body).toContain('Work phone');
    expect(mail.body).toContain('127.0.0.1');
    expect(mail.body).toContain("If this wasn't you, change your password and sign out other sessions");
    expect(mail.body).not.toContain('Home laptop');

    await startSession(sut, user, { device: phone });
    await startSession(sut, user, { device: laptop });
    const notices = await noticesFor(user);
    expect(notices).toHaveLength(1);
    expect(notices[0].destinationMasked).not.toContain(email);
    expect(smtp.mailsTo(email)).toHaveLength(1);
  });

  it('should write a notice.sent audit event naming the message and the device', async () => {
    const user = await createUser(sut);
    await startSession(sut, user, { device: device('First') });
    const { sessionId } = await startSession(sut, user, { device: device('Second') });
    const [notice] = await noticesFor(user);
    const em = sut.app.get(EntityManager).fork();
    const events = await em.find(AuditEvent, { subjectId: user.id, type: 'notice.sent' });
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ kind: 'new_sign_in', channel: 'email', messageId: notice.id });
    const created = await em.findOneOrFail(AuditEvent, { sessionId, type: 'session.created' });
    expect(events[0].deviceId).toBe(created.deviceId);
    await smtp.waitForMail(user.email!);
  });

  it('should not send a notice to an unverified email address', async () => {
    const user = await createUser(sut, { emailVerifiedAt: null });
    await startSession(sut, user, { device: device('First') });
    await startSession(sut, user, { device: device('Second') });
    expect(await noticesFor(user)).toHaveLength(0);
  });

  it('should escape a hostile device name in the HTML part', async () => {
    const user = await createUser(sut);
    await startSession(sut, user, { device: device('First') });
    await startSession(sut, user, { device: device('<script>alert(1)</script>') });
    const mail = await smtp.waitForMail(user.email!);
    const html = mail.body.slice(mail.body.indexOf('text/html'));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('should still sign the user in when the notice cannot be queued', async () => {
    const user = await createUser(sut);
    await startSession(sut, user, { device: device('First') });
    const enqueue = jest
      .spyOn(sut.app.get(DeliveryService), 'enqueue')
      .mockRejectedValueOnce(new Error('queue unavailable'));
    try {
      const started = await startSession(sut, user, { device: device('Second') });
      expect(started.accessToken).toEqual(expect.any(String));
      expect(enqueue).toHaveBeenCalledTimes(1);
    } finally {
      enqueue.mockRestore();
    }
  });
});
