import { EntityManager } from '@mikro-orm/postgresql';
import { Session } from '../../src/modules/sessions/session.entity';
import { User } from '../../src/modules/users/user.entity';
import { Device } from '../../src/modules/devices/device.entity';
import { createUser } from '../support/factories';
import { uniqueEmail } from '../support/otp-test-helpers';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { startSession } from './sessions-support';
import { enrolTotp, totpCode } from './mfa-support';
import {
  alertOf,
  form,
  PAGE_PASSWORD,
  postForm,
  signedInBrowser as signedInPageBrowser,
} from '../support/page-browser';

const PASSWORD = PAGE_PASSWORD;

describe('account pages over HTTP', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    sut = await startTestApp({
      SMTP_URL: smtp.url,
      COOKIE_SECURE: 'false',
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
    });
  });
  afterAll(async () => {
    await sut?.close();
    await smtp?.close();
  });
  afterEach(() => TestClock.of(sut).reset());

  const signedInBrowser = (device?: { id: string; name: string }) => signedInPageBrowser(sut, { device });

  const post = postForm;

  async function liveSessionIds(user: User): Promise<string[]> {
    const em = sut.app.get(EntityManager).fork();
    const sessions = await em.find(Session, { userId: user.id, revokedAt: null });
    return sessions.map((session) => session.id);
  }

  it.each(['/account', '/account/sessions', '/account/history'])(
    'should send a signed-out visitor of %s through the refresh hop to the sign-in page, coming back afterwards',
    async (path) => {
      const browser = sut.http.fork();
      const answer = await browser.get(path);
      expect(answer.status).toBe(303);
      const back = encodeURIComponent(path);
      expect(answer.headers.get('location')).toBe(`/api/auth/page-refresh?return_to=${back}`);
      const hop = await browser.get(answer.headers.get('location')!);
      expect(hop.status).toBe(303);
      expect(hop.headers.get('location')).toBe(`/signin?return_to=${back}`);
    },
  );

  it('should renew an expired access cookie with the refresh cookie and come back to the page', async () => {
    const user = await createUser(sut, { email: uniqueEmail('renew') });
    const session = await startSession(sut, user);
    const browser = sut.http.fork();
    // The access cookie is gone (its Max-Age is the token's lifetime); the refresh cookie lives on.
    browser.jar.set('sa_refresh', session.cookies.sa_refresh.value);
    const page = await browser.get('/account/sessions');
    expect(page.headers.get('location')).toBe('/api/auth/page-refresh?return_to=%2Faccount%2Fsessions');
    const hop = await browser.get(page.headers.get('location')!);
    expect(hop.status).toBe(303);
    expect(hop.headers.get('location')).toBe('/account/sessions');
    expect(hop.headers.getSetCookie().join('\n')).toMatch(/sa_access=[^;]+;.*Path=\/;/);
    expect(browser.jar.get('sa_refresh')).not.toBe(session.cookies.sa_refresh.value);

    const again = await browser.get('/account/sessions');
    expect(again.status).toBe(200);
    expect(again.text).toContain('<h1>Sessions and devices</h1>');
    expect(await liveSessionIds(user)).toEqual([session.sessionId]);
  });

  it.each(['https://evil.example/account', '//evil.example/account', '/\\evil.example'])(
    'should never send the refresh hop off the service (return_to=%s)',
    async (returnTo) => {
      const user = await createUser(sut, { email: uniqueEmail('hop') });
      const session = await startSession(sut, user);
      const browser = sut.http.fork();
      browser.jar.set('sa_refresh', session.cookies.sa_refresh.value);
      const hop = await browser.get(`/api/auth/page-refresh?return_to=${encodeURIComponent(returnTo)}`);
      expect(hop.status).toBe(303);
      expect(hop.headers.get('location')).toMatch(/^\/(?![/\\])/);
      expect(hop.headers.get('location')).not.toContain('evil.example');
    },
  );

  it('should send a browser with a refused access cookie to the sign-in page, not round the refresh hop', async () => {
    const browser = sut.http.fork();
    browser.jar.set('sa_access', 'not-a-token');
    const answer = await browser.get('/account');
    expect(answer.headers.get('location')).toBe('/signin?return_to=%2Faccount');
  });

  it('should save the profile, clear an emptied field and show the names escaped', async () => {
    const browser = await signedInBrowser();
    const saved = await post(browser, '/account/profile', {
      firstName: '<script>alert(1)</script>',
      lastName: 'Lovelace',
      photoUrl: '',
      country: 'DE',
      locale: 'de',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/account?notice=profile_saved');

    const account = await sut.http.get('/api/account', { token: browser.token, cookies: false });
    expect(account.body.profile).toMatchObject({ firstName: '<script>alert(1)</script>', country: 'DE', locale: 'de' });

    const page = await browser.http.get('/account?notice=profile_saved');
    expect(page.headers.get('content-language')).toBe('de');
    expect(page.text).toContain('Ihr Profil wurde gespeichert.');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    expect((await post(browser, '/account/profile', { firstName: '', lastName: 'Lovelace' })).status).toBe(303);
    const cleared = await sut.http.get('/api/account', { token: browser.token, cookies: false });
    expect(cleared.body.profile).toMatchObject({ firstName: null, lastName: 'Lovelace', country: null, locale: null });
  });

  it('should show the API validation error of a profile field in role="alert" and keep what was typed', async () => {
    const browser = await signedInBrowser();
    const answer = await post(browser, '/account/profile', { firstName: 'Ada', country: 'XX' });
    expect(answer.status).toBe(400);
    expect(alertOf(answer)).toBe('Some fields are not valid.');
    expect(answer.text).toMatch(/<li>country: /);
    expect(answer.text).toContain('value="XX"');
  });

  it('should not change the profile from a form without the CSRF token of the browser', async () => {
    const browser = await signedInBrowser();
    const forged = await browser.http.post(
      '/account/profile',
      undefined,
      form({ _csrf: 'x'.repeat(43), firstName: 'Mallory' }),
    );
    expect(forged.status).toBe(403);
    const account = await sut.http.get('/api/account', { token: browser.token, cookies: false });
    expect(account.body.profile.firstName).toBeNull();
  });

  it('should not sign out other sessions from a form without the CSRF token of the browser', async () => {
    const browser = await signedInBrowser();
    const second = await startSession(sut, browser.user);
    const forged = await browser.http.post('/account/sessions/revoke-others', undefined, form({}));
    expect(forged.status).toBe(403);
    expect(alertOf(forged)).toBe('Your form expired or came from another site. Please try again.');
    expect((await liveSessionIds(browser.user)).sort()).toEqual([browser.sessionId, second.sessionId].sort());
  });

  it('should not revoke a session of another user, answering 404 as the API', async () => {
    const attacker = await signedInBrowser();
    const victim = await signedInBrowser();
    const answer = await post(attacker, `/account/sessions/${victim.sessionId}/revoke`);
    expect(answer.status).toBe(404);
    expect(alertOf(answer)).toBe('That was not found. It may be gone already.');
    expect(await liveSessionIds(victim.user)).toEqual([victim.sessionId]);
  });

  it('should revoke one of the own sessions, and then every other one, keeping this one', async () => {
    const browser = await signedInBrowser();
    const second = await startSession(sut, browser.user);
    const third = await startSession(sut, browser.user);
    const page = await browser.http.get('/account/sessions');
    expect(page.text).toContain(`action="/account/sessions/${second.sessionId}/revoke"`);
    expect(page.text).not.toContain(`action="/account/sessions/${browser.sessionId}/revoke"`);

    const revoked = await post(browser, `/account/sessions/${second.sessionId}/revoke`);
    expect(revoked.headers.get('location')).toBe('/account/sessions?notice=session_revoked');
    expect((await liveSessionIds(browser.user)).sort()).toEqual([browser.sessionId, third.sessionId].sort());

    const others = await post(browser, '/account/sessions/revoke-others');
    expect(others.headers.get('location')).toBe('/account/sessions?notice=others_revoked');
    expect(await liveSessionIds(browser.user)).toEqual([browser.sessionId]);
  });

  it('should not rename or forget a device of another user', async () => {
    const attacker = await signedInBrowser();
    const victim = await signedInBrowser({ id: 'victim-phone', name: 'Victim phone' });
    const em = sut.app.get(EntityManager).fork();
    const device = await em.findOneOrFail(Device, { userId: victim.user.id });

    const renamed = await post(attacker, `/account/devices/${device.id}/rename`, { name: 'pwned' });
    expect(renamed.status).toBe(404);
    const forgotten = await post(attacker, `/account/devices/${device.id}/forget`);
    expect(forgotten.status).toBe(404);

    await em.refresh(device);
    expect(device.name).toBe('Victim phone');
    expect(await liveSessionIds(victim.user)).toEqual([victim.sessionId]);
  });

  it('should rename a device with the name shown escaped, then forget it and end its sessions', async () => {
    const browser = await signedInBrowser();
    const other = await startSession(sut, browser.user, { device: { id: 'tablet-1', name: 'Tablet' } });
    const em = sut.app.get(EntityManager).fork();
    const device = await em.findOneOrFail(Device, { userId: browser.user.id, name: 'Tablet' });

    const renamed = await post(browser, `/account/devices/${device.id}/rename`, { name: '<b>Kitchen</b> "tablet"' });
    expect(renamed.headers.get('location')).toBe('/account/sessions?notice=device_renamed');
    const page = await browser.http.get('/account/sessions?notice=device_renamed');
    expect(page.text).toContain('The device was renamed.');
    expect(page.text).toContain('&lt;b&gt;Kitchen&lt;/b&gt; &quot;tablet&quot;');
    expect(page.text).not.toContain('<b>Kitchen</b>');

    const forgotten = await post(browser, `/account/devices/${device.id}/forget`);
    expect(forgotten.headers.get('location')).toBe('/account/sessions?notice=device_forgotten');
    expect(await liveSessionIds(browser.user)).not.toContain(other.sessionId);
    expect(await em.fork().findOne(Device, { id: device.id })).toBeNull();
  });

  it('should ask for the password once the sign-in is older than REAUTH_WINDOW, then send the email code', async () => {
    const browser = await signedInBrowser();
    const newEmail = uniqueEmail('moved');
    TestClock.of(sut).advance(601_000);

    const asked = await post(browser, '/account/email', { newEmail });
    expect(asked.status).toBe(401);
    expect(asked.text).toContain('<h1>Confirm it&#39;s you</h1>');
    expect(alertOf(asked)).toBe('Please enter your password again to continue.');
    expect(asked.text).toContain('name="intent" value="email"');
    expect(asked.text).toContain(`name="newEmail" value="${newEmail}"`);

    const wrong = await post(browser, '/account/reauthenticate', { intent: 'email', newEmail, password: 'wrong one' });
    expect(wrong.status).toBe(401);
    expect(alertOf(wrong)).toBe('Wrong email or password.');
    expect(wrong.text).toContain(`name="newEmail" value="${newEmail}"`);

    const continued = await post(browser, '/account/reauthenticate', { intent: 'email', newEmail, password: PASSWORD });
    expect(continued.status).toBe(200);
    expect(continued.text).toContain('action="/account/email/verify"');
    const otp = await smtp.waitForCode(newEmail);

    const verified = await post(browser, '/account/email/verify', { newEmail, otp });
    expect(verified.headers.get('location')).toBe('/account?notice=email_changed');
    const account = await sut.http.get('/api/account', { token: browser.token, cookies: false });
    expect(account.body).toMatchObject({ email: newEmail, emailVerified: true });
  });

  it('should take a code from the authenticator app instead of the password, then send the email code', async () => {
    const browser = await signedInBrowser();
    const { secret } = await enrolTotp(sut, browser.token);
    const newEmail = uniqueEmail('by-totp');
    const clock = TestClock.of(sut).advance(601_000);

    const asked = await post(browser, '/account/email', { newEmail });
    expect(asked.status).toBe(401);
    expect(asked.text).toContain('name="method" value="totp"');
    expect(asked.text).toContain('name="method" value="recovery_code"');
    const wrong = await post(browser, '/account/reauthenticate', {
      intent: 'email',
      newEmail,
      method: 'totp',
      code: '000000',
    });
    expect([wrong.status, alertOf(wrong) !== undefined]).toEqual([401, true]);

    const continued = await post(browser, '/account/reauthenticate', {
      intent: 'email',
      newEmail,
      method: 'totp',
      code: totpCode(secret, clock.nowMs()),
    });
    expect(continued.status).toBe(200);
    expect(continued.text).toContain('action="/account/email/verify"');
    expect(await smtp.waitForCode(newEmail)).toMatch(/^\d{6}$/);
  });

  it('should offer only the password to an account without a second factor', async () => {
    const browser = await signedInBrowser();
    TestClock.of(sut).advance(601_000);
    const asked = await post(browser, '/account/email', { newEmail: uniqueEmail('no-factor') });
    expect(asked.status).toBe(401);
    expect(asked.text).not.toContain('name="method"');
  });

  it('should show a wrong email code in role="alert" with the verify form kept', async () => {
    const browser = await signedInBrowser();
    const newEmail = uniqueEmail('typo');
    expect((await post(browser, '/account/email', { newEmail })).status).toBe(200);
    const wrong = await post(browser, '/account/email/verify', { newEmail, otp: '000000' });
    expect(wrong.status).toBe(401);
    expect(alertOf(wrong)).toMatch(/code/);
    expect(wrong.text).toContain(`name="newEmail" value="${newEmail}"`);
  });

  it('should download the data export as an attachment, after the password when the sign-in is old', async () => {
    const browser = await signedInBrowser();
    TestClock.of(sut).advance(601_000);
    const asked = await browser.http.get('/account/export');
    expect(asked.status).toBe(401);
    expect(asked.text).toContain('name="intent" value="export"');

    const confirmed = await post(browser, '/account/reauthenticate', { intent: 'export', password: PASSWORD });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('/account/export');

    const exported = await browser.http.get('/account/export');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="account-export.json"');
    expect(exported.body.account).toMatchObject({ id: browser.user.id, email: browser.user.email });
  });

  it('should delete the account only when confirmed, after the password when the sign-in is old, and sign out', async () => {
    const browser = await signedInBrowser();
    const unconfirmed = await post(browser, '/account/delete');
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.text).toContain('confirm');
    TestClock.of(sut).advance(601_000);

    const asked = await post(browser, '/account/delete', { confirm: 'yes' });
    expect(asked.status).toBe(401);
    expect(asked.text).toContain('name="intent" value="delete"');
    expect(asked.text).toContain('name="confirm" value="yes"');
    const row = () => sut.app.get(EntityManager).fork().findOneOrFail(User, { id: browser.user.id });
    expect((await row()).status).toBe('active');

    const deleted = await post(browser, '/account/reauthenticate', {
      intent: 'delete',
      confirm: 'yes',
      password: PASSWORD,
    });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get('location')).toBe('/signin?notice=account_deleted');
    expect((await row()).status).toBe('deleted');
    expect(await liveSessionIds(browser.user)).toEqual([]);
    const signIn = await browser.http.get('/signin?notice=account_deleted');
    expect(signIn.text).toContain('Your account was deleted.');
    const login = await sut.http.post(
      '/api/auth/login',
      { email: browser.user.email, password: PASSWORD },
      { cookies: false },
    );
    expect([login.status, login.body.code]).toEqual([403, 'ACCOUNT_DELETED']);
  });

  it('should not delete the account from a form without the CSRF token of the browser', async () => {
    const browser = await signedInBrowser();
    const forged = await browser.http.post(
      '/account/delete',
      undefined,
      form({ _csrf: 'x'.repeat(43), confirm: 'yes' }),
    );
    expect(forged.status).toBe(403);
    const row = await sut.app.get(EntityManager).fork().findOneOrFail(User, { id: browser.user.id });
    expect(row.status).toBe('active');
  });

  it("should page through the history with the API's cursor", async () => {
    const browser = await signedInBrowser();
    expect((await post(browser, '/account/profile', { firstName: 'Ada' })).status).toBe(303);
    const first = await browser.http.get('/account/history?limit=1');
    expect(first.status).toBe(200);
    expect(first.text).toContain('Account changed');
    const next = /<a href="([^"]+)" rel="next">Older entries<\/a>/.exec(first.text)?.[1];
    expect(next).toMatch(/^\/account\/history\?cursor=[^&]+&amp;limit=1$/);
    const second = await browser.http.get(next!.replace(/&amp;/g, '&'));
    expect(second.status).toBe(200);
    expect(second.text).toContain('Session started');
  });
});
