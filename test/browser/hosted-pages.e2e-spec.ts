import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { enrolTotp, passwordUser, PASSWORD, totpCode } from '../e2e/mfa-support';
import { createTenant } from '../support/factories';
import { uniquePhone } from '../support/otp-test-helpers';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { checkPage as checkPageOf, launchBrowser } from './browser-support';

/** The trimmed text of the first match, once it is there. */
async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return ((await locator.first().textContent()) ?? '').trim();
}

/** Just what the keyboard test reads of the page's DOM (the test has no DOM types). */
interface Doc {
  document: { activeElement: { id: string; textContent: string | null } | null };
}

const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString('hex')}@example.com`;

// A browser and argon2 share two cores with other suites: a page flow gets more than the default 30 s.
jest.setTimeout(60_000);

describe('hosted pages in a real browser', () => {
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
      RETURN_TO_ORIGINS: 'https://app.example.com',
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
    await context?.close();
  });

  const checkPage = (name: string) => checkPageOf(page, name);

  async function expectH1(text: string) {
    expect((await page.locator('h1').textContent())?.trim()).toBe(text);
  }

  it('should register, confirm the emailed code and land signed in on the account page', async () => {
    const email = uniqueEmail('signup');
    await page.goto(`${sut.url}/signup`);
    await checkPage('signup');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long and unusual passphrase 42');
    await page.getByLabel('First name (optional)').fill('<Ada>');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expectH1('Confirm your email');
    await checkPage('signup-verify');
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await page.getByLabel('Code').fill(await smtp.waitForCode(email));
    await page.getByRole('button', { name: 'Confirm' }).click();

    await page.waitForURL(`${sut.url}/account`);
    await expectH1('Your account');
    await page.getByText(email).waitFor();
    await checkPage('account');
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual(expect.arrayContaining(['sa_access', 'sa_refresh']));
  });

  it('should show a wrong code in role="alert" and keep the email', async () => {
    const email = uniqueEmail('wrong-code');
    await page.goto(`${sut.url}/signup/verify`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Code').fill('000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await textOf(page.getByRole('alert'))).toMatch(/code/i);
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await checkPage('signup-verify-error');
  });

  it('should sign in with password and TOTP, then sign out', async () => {
    const { email, token } = await passwordUser(sut);
    const { secret } = await enrolTotp(sut, token);

    await page.goto(`${sut.url}/signin`);
    await checkPage('signin');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.waitForURL(`${sut.url}/signin/mfa`);
    await expectH1('Second factor');
    await checkPage('signin-mfa');
    await page.getByLabel('Authenticator app').check();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret));
    await page.getByRole('button', { name: 'Verify' }).click();

    await page.waitForURL(`${sut.url}/account`);
    await page.getByText(email).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin\?notice=signed_out$/);
    expect(await textOf(page.getByRole('status'))).toBe('You are signed out.');
    await page.goto(`${sut.url}/account`);
    await page.waitForURL(/\/signin\?return_to=/);
  });

  it('should sign in with password and a code sent by email as the second factor', async () => {
    const { email, token } = await passwordUser(sut);
    const enabled = await sut.http.post('/api/mfa/email', undefined, { token, cookies: false });
    expect(enabled.status).toBe(200);

    await page.goto(`${sut.url}/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/signin/mfa`);

    const before = smtp.mailsTo(email).length;
    await page.getByRole('button', { name: 'Email me a code' }).click();
    expect(await textOf(page.getByRole('status'))).toBe('A code is on its way to your email address.');
    const code = await smtp.waitForCode(email, { skip: before });
    await page.getByLabel('Code by email').check();
    await page.getByLabel('Code', { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${sut.url}/account`);
  });

  it('should sign in with a code sent to the email address', async () => {
    const { email } = await passwordUser(sut);
    await page.goto(`${sut.url}/signin`);
    await page.getByRole('link', { name: 'Sign in with a code instead' }).click();
    await page.waitForURL(`${sut.url}/signin/code`);
    const before = smtp.mailsTo(email).length;
    await page.getByLabel('Or email address').fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    expect(await textOf(page.getByRole('status'))).toBe('A code is on its way. Enter it below.');
    await checkPage('signin-code-sent');
    await page.getByLabel('Code you received').fill(await smtp.waitForCode(email, { skip: before }));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/account`);
    await page.getByText(email).waitFor();
  });

  it('should sign in with a recovery code instead of the authenticator app', async () => {
    const { email, token } = await passwordUser(sut);
    const { recoveryCodes } = await enrolTotp(sut, token);
    await page.goto(`${sut.url}/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/signin/mfa`);
    await page.getByLabel('Recovery code').check();
    await page.getByLabel('Code', { exact: true }).fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${sut.url}/account`);
  });

  it('should be usable with the keyboard alone', async () => {
    const { email } = await passwordUser(sut);
    await page.goto(`${sut.url}/signin`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.textContent)).toBe(
      'Skip to the form',
    );
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.id)).toBe('email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${sut.url}/account`);
  });

  it("should dress the pages in the tenant's name and colour, under the same CSP, still accessible", async () => {
    const tenantId = await createTenant(sut, undefined, {
      settings: { displayName: 'Acme Corp', primaryColor: '#7a1f1f' },
    });
    const refused: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') refused.push(message.text());
    });
    await page.goto(`${sut.url}/signin?tenant=${tenantId}`);
    expect(await page.title()).toBe('Sign in · Acme Corp');
    await page.locator('header.brand', { hasText: 'Acme Corp' }).waitFor();
    const background = await page.getByRole('button', { name: 'Sign in', exact: true }).evaluate((button) => {
      // Runs in the page; the test's TypeScript knows no DOM, so the page's window is typed here.
      const view = globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } };
      return view.getComputedStyle(button).backgroundColor;
    });
    expect(background).toBe('rgb(122, 31, 31)');
    await checkPage('signin-branded');
    expect(refused).toEqual([]);
  });

  it('should keep ?tenant= through sign-up and sign the user in to that tenant', async () => {
    const tenantId = await createTenant(sut);
    const email = uniqueEmail('tenant');
    await page.goto(`${sut.url}/signup?tenant=${tenantId}`);
    expect(await page.locator('input[name="tenant"]').inputValue()).toBe(tenantId);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long and unusual passphrase 42');
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await page.locator('input[name="tenant"]').inputValue()).toBe(tenantId);
    await page.getByLabel('Code').fill(await smtp.waitForCode(email));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${sut.url}/account?tenant=${tenantId}`);
    await page.getByText(email).waitFor();
    // The session belongs to that tenant: the default tenant's account page asks for a sign-in.
    await page.goto(`${sut.url}/account`);
    await page.waitForURL(/\/signin\?return_to=/);
  });

  it('should sign in with a WhatsApp code, creating the account of a new phone', async () => {
    const phone = uniquePhone();
    await page.goto(`${sut.url}/signin/code`);
    await page.getByLabel('Phone number').fill(phone);
    await page.getByLabel('WhatsApp').check();
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code you received').fill(await whatsapp.waitForCode(phone));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/account`);
    await page.getByText(phone).waitFor();
  });

  it('should answer a wrong password with the API error in role="alert"', async () => {
    const { email } = await passwordUser(sut);
    await page.goto(`${sut.url}/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await textOf(page.getByRole('alert'))).toMatch(/Wrong email or password\./);
    await checkPage('signin-error');
  });

  it('should reset a forgotten password with the emailed code and sign in with the new one', async () => {
    const { email } = await passwordUser(sut);
    const newPassword = 'a fresh and unusual passphrase 7';
    await page.goto(`${sut.url}/forgot`);
    await checkPage('forgot');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();

    await expectH1('Choose a new password');
    await checkPage('reset');
    await page.getByLabel('Code').fill(await smtp.waitForCode(email));
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();

    await page.waitForURL(/\/signin\?notice=reset$/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/account`);
  });

  it('should refuse a form whose CSRF token is not the cookie one with 403 and the error in role="alert"', async () => {
    const { email } = await passwordUser(sut);
    await page.goto(`${sut.url}/signin`);
    await page
      .locator('input[name="_csrf"]')
      .evaluate((input) => ((input as unknown as { value: string }).value = 'forged'));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    const answer = page.waitForResponse((r) => r.url() === `${sut.url}/signin` && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect((await answer).status()).toBe(403);
    expect(await textOf(page.getByRole('alert'))).toContain('Your form expired or came from another site');
    expect((await context.cookies()).map((c) => c.name)).not.toContain('sa_access');
  });

  it('should ignore a return_to on a foreign origin and land on the account page', async () => {
    const { email } = await passwordUser(sut);
    await page.goto(`${sut.url}/signin?return_to=${encodeURIComponent('https://evil.example.net/steal')}`);
    expect(await page.locator('input[name="return_to"]').count()).toBe(0);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${sut.url}/account`);
  });

  it('should keep a return_to on an allowed origin through the form', async () => {
    await page.goto(`${sut.url}/signin?return_to=${encodeURIComponent('https://app.example.com/home')}`);
    expect(await page.locator('input[name="return_to"]').inputValue()).toBe('https://app.example.com/home');
  });

  it('should show the German page for ?lang=de and keep the language through the form', async () => {
    await page.goto(`${sut.url}/signin?lang=de`);
    await expectH1('Anmelden');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.getByLabel('Passwort').waitFor();
    await checkPage('signin-de');
    await page.getByLabel('E-Mail').fill('nobody@example.com');
    await page.getByLabel('Passwort').fill('whatever it is 123');
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    expect(await textOf(page.getByRole('alert'))).toMatch(/E-Mail oder Passwort ist falsch\./);
  });

  it('should follow Accept-Language when no ?lang= is given', async () => {
    const german = await browser.newContext({ locale: 'de-DE' });
    try {
      const dePage = await german.newPage();
      await dePage.goto(`${sut.url}/forgot`);
      expect((await dePage.locator('h1').textContent())?.trim()).toBe('Passwort zurücksetzen');
    } finally {
      await german.close();
    }
  });

  it('should send a strict CSP with a fresh nonce, forbid framing and escape user input', async () => {
    const first = await page.goto(`${sut.url}/signin/code`);
    const second = await page.goto(`${sut.url}/signin/code`);
    const csp = first!.headers()['content-security-policy'];
    expect(csp).toMatch(
      /^default-src 'self'; script-src 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'$/,
    );
    expect(second!.headers()['content-security-policy']).not.toBe(csp);
    await checkPage('signin-code');

    await page.goto(`${sut.url}/signup`);
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Email').evaluate((input) => ((input as unknown as { type: string }).type = 'text'));
    await page.getByLabel('Password').fill('a long and unusual passphrase 42');
    await page.getByLabel('First name (optional)').fill('"><script>window.pwned=1</script>');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByLabel('First name (optional)').inputValue()).toBe('"><script>window.pwned=1</script>');
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });
});
