import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { passwordUser, PASSWORD } from '../e2e/mfa-support';
import { uniqueEmail, uniquePhone } from '../support/otp-test-helpers';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { checkPage as checkPageOf, launchBrowser } from './browser-support';

const OTHER_BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** The trimmed text of the first match, once it is there. */
async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return ((await locator.first().textContent()) ?? '').trim();
}

// A browser and argon2 share two cores with other suites: a page flow gets more than the default 30 s.
jest.setTimeout(60_000);

describe('account pages in a real browser', () => {
  let smtp: SmtpTestServer;
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [smtp, whatsapp] = await Promise.all([SmtpTestServer.start(), WhatsappTestServer.start()]);
    sut = await startTestApp({
      ...whatsapp.env(),
      SMTP_URL: smtp.url,
      COOKIE_SECURE: 'false',
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
    });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sut?.close();
    await smtp?.close();
    await whatsapp?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ locale: 'en-US' });
    page = await context.newPage();
  });
  afterEach(async () => {
    TestClock.of(sut).reset();
    await context?.close();
  });

  const checkPage = (name: string) => checkPageOf(page, name);

  async function expectH1(text: string) {
    expect((await page.locator('h1').textContent())?.trim()).toBe(text);
  }

  /** A fresh user signed in on the sign-in page, landing on /account. */
  async function signedIn() {
    const user = await passwordUser(sut);
    await page.goto(`${sut.url}/signin`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/account`);
    return user;
  }

  /** A second session of the same user, signed in through the API from another browser. */
  async function otherSession(email: string, device?: { id: string; name: string }) {
    const login = await sut.http.post(
      '/api/auth/login',
      { email, password: PASSWORD, client: 'native', ...(device ? { device } : {}) },
      { cookies: false, headers: { 'user-agent': OTHER_BROWSER } },
    );
    expect(login.status).toBe(200);
    return login.body as { accessToken: string; sessionId: string };
  }

  async function isLive(accessToken: string): Promise<boolean> {
    const me = await sut.http.get('/api/auth/me', { token: accessToken, cookies: false });
    return me.status === 200;
  }

  it('should change the profile and the language, the page then speaking German, and clear it again', async () => {
    await signedIn();
    await expectH1('Your account');
    await checkPage('account-overview');

    await page.getByLabel('First name').fill('<Ada>');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Country (two letters, e.g. DE)').fill('GB');
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('button', { name: 'Save profile' }).click();

    await page.waitForURL(`${sut.url}/account?notice=profile_saved`);
    await expectH1('Ihr Konto');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await textOf(page.getByRole('status'))).toBe('Ihr Profil wurde gespeichert.');
    await page.getByText('<Ada> Lovelace').waitFor();
    expect(await page.getByLabel('Vorname').inputValue()).toBe('<Ada>');
    await checkPage('account-overview-de');

    await page.getByLabel('Vorname').fill('');
    await page.getByLabel('Sprache').selectOption('');
    await page.getByRole('button', { name: 'Profil speichern' }).click();
    await page.waitForURL(`${sut.url}/account?notice=profile_saved`);
    await expectH1('Your account');
    expect(await page.getByLabel('First name').inputValue()).toBe('');
    await page.getByText('Lovelace', { exact: true }).waitFor();
  });

  it('should change the email address with the code sent to the new one', async () => {
    await signedIn();
    const newEmail = uniqueEmail('moved');
    await page.getByLabel('New email address').fill(newEmail);
    await page.getByRole('button', { name: 'Send code to the new address' }).click();

    await page.getByLabel('Code from the email').fill(await smtp.waitForCode(newEmail));
    await checkPage('account-email-code');
    await page.getByRole('button', { name: 'Confirm new email address' }).click();

    await page.waitForURL(`${sut.url}/account?notice=email_changed`);
    expect(await textOf(page.getByRole('status'))).toBe('Your email address was changed.');
    await page.getByText(`${newEmail} (verified)`).waitFor();
  });

  it('should ask for the password when the sign-in is old, then add the phone with its WhatsApp code', async () => {
    await signedIn();
    TestClock.of(sut).advance(601_000);
    const phone = uniquePhone();
    await page.getByRole('textbox', { name: 'Phone number' }).fill(phone);
    await page.getByLabel('WhatsApp').check();
    await page.getByRole('button', { name: 'Send code to the phone' }).click();

    await expectH1("Confirm it's you");
    expect(await textOf(page.getByRole('alert'))).toBe('Please enter your password again to continue.');
    await checkPage('account-reauth');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await textOf(page.getByRole('alert'))).toBe('Wrong email or password.');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByLabel('Code from the message').fill(await whatsapp.waitForCode(phone));
    await page.getByRole('button', { name: 'Confirm phone number' }).click();
    await page.waitForURL(`${sut.url}/account?notice=phone_changed`);
    await page.getByText(`${phone} (verified)`).waitFor();
  });

  it('should download my data as a JSON attachment, after the password once the sign-in is old', async () => {
    const { email } = await signedIn();
    TestClock.of(sut).advance(601_000);
    await page.getByRole('link', { name: 'Download my data' }).click();
    await expectH1("Confirm it's you");
    expect(await textOf(page.locator('main > p').first())).toBe('Downloading your data needs your password again.');

    await page.getByLabel('Password').fill(PASSWORD);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Continue' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('account-export.json');
    const chunks: Buffer[] = [];
    for await (const chunk of (await file.createReadStream()) as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8')).account.email).toBe(email);
  });

  it('should sign out another session from the sessions page and see it gone', async () => {
    const { email } = await signedIn();
    const other = await otherSession(email);
    await page.getByRole('link', { name: 'Sessions and devices' }).click();
    await page.waitForURL(`${sut.url}/account/sessions`);
    await checkPage('account-sessions');
    expect(await textOf(page.locator('li', { hasText: 'this session' }).locator('dd').first())).toMatch(/Chrome/);

    const otherItem = page.locator('li', { hasText: OTHER_BROWSER });
    await otherItem.getByRole('button', { name: /^Sign out/ }).click();
    await page.waitForURL(`${sut.url}/account/sessions?notice=session_revoked`);
    expect(await textOf(page.getByRole('status'))).toBe('That session was signed out.');
    expect(await page.locator('li', { hasText: OTHER_BROWSER }).count()).toBe(0);
    expect(await isLive(other.accessToken)).toBe(false);
  });

  it('should rename a device, its name shown as typed, and forget it, ending its session', async () => {
    const { email } = await signedIn();
    const other = await otherSession(email, { id: 'work-phone-1', name: 'Work phone' });
    await page.goto(`${sut.url}/account/sessions`);

    const device = page.locator('ul.items > li', { has: page.getByRole('button', { name: 'Rename Work phone' }) });
    await device.getByLabel('Device name').fill('<i>Kitchen</i> tablet');
    await device.getByRole('button', { name: 'Rename Work phone' }).click();
    await page.waitForURL(`${sut.url}/account/sessions?notice=device_renamed`);
    expect(await textOf(page.getByRole('status'))).toBe('The device was renamed.');
    await checkPage('account-sessions-renamed');

    await page.getByRole('button', { name: 'Forget and sign out <i>Kitchen</i> tablet' }).click();
    await page.waitForURL(`${sut.url}/account/sessions?notice=device_forgotten`);
    expect(await page.getByText('<i>Kitchen</i> tablet').count()).toBe(0);
    expect(await isLive(other.accessToken)).toBe(false);
  });

  it('should list the sign-ins in the history, a page at a time', async () => {
    const { email } = await signedIn();
    const failed = await sut.http.post('/api/auth/login', { email, password: 'wrong password 1' }, { cookies: false });
    expect(failed.status).toBe(401);
    await page.getByRole('link', { name: 'Sign-in history' }).click();
    await page.waitForURL(`${sut.url}/account/history`);
    await checkPage('account-history');
    await page.getByText('Failed sign-in · failed').waitFor();
    expect(await page.getByText('Sign-in · succeeded').count()).toBeGreaterThan(0);

    await page.goto(`${sut.url}/account/history?limit=1`);
    expect(await page.locator('ul.items > li').count()).toBe(1);
    await page.getByRole('link', { name: 'Older entries' }).click();
    await page.waitForURL(/\/account\/history\?cursor=[^&]+&limit=1$/);
    expect(await page.locator('ul.items > li').count()).toBe(1);
  });
});
