import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { alertOf, form, PAGE_PASSWORD, postForm, signedInBrowser, type PageBrowser } from '../support/page-browser';
import { enrolTotp, registerPasskey, totpCode } from './mfa-support';
import { startSession } from './sessions-support';

/**
 * /account/security over HTTP, as an attacker would try it too: forged forms, another user's
 * passkey, a stale sign-in, the passkey buttons' JSON routes without a page or a session.
 */
describe('account security page over HTTP', () => {
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

  const browserOn = () => signedInBrowser(sut, { path: '/account/security' });
  const mfaOf = async (browser: PageBrowser) =>
    (await sut.http.get('/api/mfa', { token: browser.token, cookies: false })).body;

  it('should change the password, sign out the other sessions, and refuse a wrong current password', async () => {
    const browser = await browserOn();
    const elsewhere = await startSession(sut, browser.user);
    const wrong = await postForm(browser, '/account/security/password', {
      currentPassword: 'not the password',
      newPassword: 'a brand new passphrase 42',
    });
    expect(wrong.status).toBe(401);
    expect(alertOf(wrong)).toBe('Wrong email or password.');
    const changed = await postForm(browser, '/account/security/password', {
      currentPassword: PAGE_PASSWORD,
      newPassword: 'a brand new passphrase 42',
    });
    expect(changed.headers.get('location')).toBe('/account/security?notice=password_changed');
    const login = await sut.http.post(
      '/api/auth/login',
      { email: browser.user.email, password: 'a brand new passphrase 42' },
      { cookies: false },
    );
    expect(login.status).toBe(200);
    const me = (token: string) => sut.http.get('/api/auth/me', { token, cookies: false });
    expect((await me(elsewhere.accessToken)).status).toBe(401);
    expect((await me(browser.token)).status).toBe(200);
  });

  it('should enrol TOTP from the QR page and show the recovery codes once', async () => {
    const browser = await browserOn();
    const setup = await postForm(browser, '/account/security/totp/setup');
    expect(setup.status).toBe(200);
    expect(setup.text).toMatch(/<img src="data:image\/png;base64,[^"]+" alt="QR code for your authenticator app"/);
    // Only this page lets a data: image in.
    expect(setup.headers.get('content-security-policy')).toContain("img-src 'self' data:");
    expect((await browser.http.get('/account/security')).headers.get('content-security-policy')).not.toContain('data:');
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(setup.text)?.[1];
    const clock = TestClock.of(sut);
    const confirmed = await postForm(browser, '/account/security/totp/confirm', {
      code: totpCode(secret!, clock.nowMs()),
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text.match(/<li><code>[^<]+<\/code><\/li>/g)).toHaveLength(10);
    expect((await mfaOf(browser)).totp.enabled).toBe(true);
    // Shown once: the page afterwards has no codes.
    expect((await browser.http.get('/account/security')).text).not.toContain('id="recovery-codes"');

    clock.advance(30_000);
    const off = await postForm(browser, '/account/security/totp/disable', { code: totpCode(secret!, clock.nowMs()) });
    expect(off.headers.get('location')).toBe('/account/security?notice=totp_disabled');
    expect((await mfaOf(browser)).totp.enabled).toBe(false);
  });

  it('should turn codes by email on and off, and make new recovery codes', async () => {
    const browser = await browserOn();
    const on = await postForm(browser, '/account/security/email/enable');
    expect(on.status).toBe(200);
    expect(on.text).toContain('Codes by email are on.');
    expect((await mfaOf(browser)).email.enabled).toBe(true);
    const fresh = await postForm(browser, '/account/security/recovery-codes');
    expect(fresh.text.match(/<li><code>[^<]+<\/code><\/li>/g)).toHaveLength(10);
    const off = await postForm(browser, '/account/security/email/disable');
    expect(off.headers.get('location')).toBe('/account/security?notice=email_disabled');
    expect((await mfaOf(browser)).email.enabled).toBe(false);
  });

  it('should ask for the password before a change once the sign-in is old', async () => {
    const browser = await browserOn();
    TestClock.of(sut).advance(601_000);
    const asked = await postForm(browser, '/account/security/email/enable');
    expect(asked.status).toBe(401);
    expect(asked.text).toContain('name="intent" value="security"');
    expect((await mfaOf(browser)).email.enabled).toBe(false);
    const confirmed = await postForm(browser, '/account/reauthenticate', {
      intent: 'security',
      password: PAGE_PASSWORD,
    });
    expect(confirmed.headers.get('location')).toBe('/account/security?notice=reauthenticated');
    expect((await postForm(browser, '/account/security/email/enable')).status).toBe(200);
  });

  it("should rename and remove the own passkey, escaped, and never another user's", async () => {
    const browser = await browserOn();
    const victim = await signedInBrowser(sut);
    const theirs = await registerPasskey(sut, victim.token, new SoftwareAuthenticator());
    const mine = await registerPasskey(sut, browser.token, new SoftwareAuthenticator());

    for (const action of ['rename', 'remove']) {
      const across = await postForm(browser, `/account/security/passkeys/${theirs.id}/${action}`, { name: 'Mine now' });
      expect([action, across.status]).toEqual([action, 404]);
    }
    expect((await mfaOf(victim)).passkeys.map((p: { name: string }) => p.name)).toEqual(['Key']);

    await postForm(browser, `/account/security/passkeys/${mine.id}/rename`, { name: '<script>x</script>' });
    const page = await browser.http.get('/account/security');
    expect(page.text).toContain('<strong>&lt;script&gt;x&lt;/script&gt;</strong>');
    expect(page.text).not.toContain('<script>x</script>');
    const removed = await postForm(browser, `/account/security/passkeys/${mine.id}/remove`);
    expect(removed.headers.get('location')).toBe('/account/security?notice=passkey_removed');
    expect((await mfaOf(browser)).passkeys).toEqual([]);
  });

  it('should refuse forged forms and forged passkey requests with 403, changing nothing', async () => {
    const browser = await browserOn();
    const forged = { _csrf: 'x'.repeat(43) };
    const email = await browser.http.post('/account/security/email/enable', undefined, form(forged));
    expect(email.status).toBe(403);
    const options = await browser.http.post('/account/security/passkeys/options', forged);
    expect([options.status, options.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await mfaOf(browser)).email.enabled).toBe(false);
  });

  it("should answer the passkey buttons' JSON routes as the API would: signed out, stale, or without a pending sign-in", async () => {
    const browser = await browserOn();
    const body = { _csrf: browser.csrf };
    const stranger = sut.http.fork();
    stranger.jar.set('sa_csrf', browser.http.jar.get('sa_csrf')!);
    const signedOut = await stranger.post('/account/security/passkeys/options', body);
    expect([signedOut.status, signedOut.body.code]).toEqual([401, 'UNAUTHORIZED']);

    TestClock.of(sut).advance(601_000);
    const stale = await browser.http.post('/account/security/passkeys/options', body);
    expect([stale.status, stale.body.code]).toEqual([401, 'REAUTH_REQUIRED']);
    TestClock.of(sut).reset();
    const fresh = await browser.http.post('/account/security/passkeys/options', body);
    expect(fresh.status).toBe(200);
    expect(fresh.body.challenge).toEqual(expect.any(String));

    const noPending = await browser.http.post('/signin/mfa/passkey/options', body);
    expect([noPending.status, noPending.body.code]).toEqual([401, 'UNAUTHORIZED']);
    const garbage = await browser.http.post('/signin/passkey/verify', { ...body, response: 'nope' });
    expect([garbage.status, garbage.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('should sign in with a passkey through the JSON routes and set the web cookies', async () => {
    const owner = await browserOn();
    const passkey = new SoftwareAuthenticator();
    await registerPasskey(sut, owner.token, passkey);
    const visitor = sut.http.fork();
    const signin = await visitor.get('/signin');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(signin.text)![1];
    const options = await visitor.post('/signin/passkey/options', { _csrf: csrf });
    expect(options.status).toBe(200);
    const verified = await visitor.post('/signin/passkey/verify', { _csrf: csrf, response: passkey.get(options.body) });
    expect([verified.status, verified.body]).toEqual([200, { next: '/account' }]);
    expect(visitor.jar.has('sa_access')).toBe(true);
    expect((await visitor.get('/account')).text).toContain(owner.user.email!);
  });

  it('should show a second factor enrolled through the API as on, with its disable form', async () => {
    const browser = await browserOn();
    await enrolTotp(sut, browser.token);
    const page = await browser.http.get('/account/security');
    expect(page.text).toContain('action="/account/security/totp/disable"');
    expect(page.text).not.toContain('action="/account/security/totp/setup"');
  });
});
