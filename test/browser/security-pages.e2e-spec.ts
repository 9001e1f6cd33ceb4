import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { passwordUser, PASSWORD, totpCode } from '../e2e/mfa-support';
import { uniqueEmail } from '../support/otp-test-helpers';
import { SmtpTestServer } from '../support/smtp-test-server';
import { freePort, startTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { checkPage as checkPageOf, launchBrowser } from './browser-support';

/**
 * /account/security and the passkey buttons in Chromium: the "done when" (sign up, enrol
 * an authenticator app from the QR page, sign out, sign in with the second factor), and passkeys
 * through Chromium's virtual authenticator (CDP WebAuthn), registered on the page and used to sign
 * in alone and as the second factor. The origin is http://localhost:PORT: a passkey's RP ID is
 * `localhost`, and WebAuthn checks the page's origin against WEBAUTHN_ORIGINS.
 */
describe('account security pages and passkeys in a real browser', () => {
  let smtp: SmtpTestServer;
  let sut: TestApp;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    const port = await freePort();
    origin = `http://localhost:${port}`;
    sut = await startTestApp(
      {
        SMTP_URL: smtp.url,
        COOKIE_SECURE: 'false',
        THROTTLE_AUTH_LIMIT: '100000',
        THROTTLE_DEFAULT_LIMIT: '100000',
        WEBAUTHN_RP_ID: 'localhost',
        WEBAUTHN_ORIGINS: origin,
      },
      undefined,
      { port },
    );
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sut?.close();
    await smtp?.close();
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

  /** A platform authenticator that verifies its user (a passkey), in this browser context. */
  async function virtualAuthenticator(): Promise<CDPSession> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return cdp;
  }

  async function signInWithPassword(email: string, password = PASSWORD) {
    await page.goto(`${origin}/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin\?notice=signed_out$/);
  }

  it('should sign up, enrol an authenticator app from its QR code, sign out, and sign in with the second factor', async () => {
    const email = uniqueEmail('done-when');
    const password = 'a long and unusual passphrase 42';
    await page.goto(`${origin}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Code').fill(await smtp.waitForCode(email));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${origin}/account`);

    await page.getByRole('link', { name: 'Security' }).click();
    await page.waitForURL(`${origin}/account/security`);
    await checkPage('account-security');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    // The QR code is a data: URL the page's CSP lets in on this page only: it must have loaded.
    const loaded = await qr.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth);
    expect(loaded).toBeGreaterThan(0);
    await checkPage('account-security-totp-qr');
    const secret = (await page.locator('#totp-secret').textContent())!.trim();
    const clock = TestClock.of(sut);
    await page.getByLabel('Code from the app').fill(totpCode(secret, clock.nowMs()));
    await page.getByRole('button', { name: 'Turn on the authenticator app' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await checkPage('account-security-recovery-codes');
    await signOut();

    // The next step's code: the one used to turn it on is spent.
    clock.advance(30_000);
    await signInWithPassword(email, password);
    await page.waitForURL(`${origin}/signin/mfa`);
    await page.getByLabel('Authenticator app').check();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret, clock.nowMs()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${origin}/account`);
    await page.getByText(email).waitFor();
  });

  it('should add a passkey on the security page and sign in with it alone, then use it as the second factor', async () => {
    const { email } = await passwordUser(sut);
    await virtualAuthenticator();
    await signInWithPassword(email);
    await page.waitForURL(`${origin}/account`);
    await page.goto(`${origin}/account/security`);
    await page.getByLabel('Name', { exact: true }).last().fill('Laptop <b>key</b>');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    // The first second factor: its recovery codes are shown by the script, once.
    await page.locator('#passkey-codes li').first().waitFor();
    expect(await page.locator('#passkey-codes li').count()).toBe(10);
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.locator('strong', { hasText: 'Laptop <b>key</b>' }).waitFor();
    await checkPage('account-security-passkey');
    await signOut();

    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${origin}/account`);
    await page.getByText(email).waitFor();
    await signOut();

    await signInWithPassword(email);
    await page.waitForURL(`${origin}/signin/mfa`);
    await checkPage('signin-mfa-passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${origin}/account`);
  });

  it('should say so in role="alert" when the browser has no passkey for this site', async () => {
    await virtualAuthenticator();
    await page.goto(`${origin}/signin`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const alert = page.locator('#passkey-alert');
    await alert.waitFor({ state: 'visible' });
    expect(await alert.getAttribute('role')).toBe('alert');
    expect(page.url()).toBe(`${origin}/signin`);
  });
});
