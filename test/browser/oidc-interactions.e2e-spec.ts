import type Redis from 'ioredis';
import * as oidc from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import { REDIS } from '../../src/common/redis/redis.constants';
import { auditEventsOf, enrolTotp, passwordUser, PASSWORD, totpCode } from '../e2e/mfa-support';
import { eventually } from '../support/eventually';
import {
  authorizationRequest,
  discover,
  registerClient,
  startOidcStack,
  type OidcStack,
  type RelyingPartyServer,
} from '../support/relying-party';
import type { CreateOidcClientDto } from '../../src/modules/oidc/clients/oidc-client.dto';
import type { TestApp } from '../support/test-app';

/**
 * What an authorization request may ask beyond a sign-in, answered on the hosted pages in Chromium:
 * a second factor (acr_values=aal2), a fresh proof (prompt=login), consent for a third-party client;
 * and RP-initiated logout, which ends the SecureAuth session too. openid-client is the client.
 */
describe('OIDC interactions on the hosted pages', () => {
  let stack: OidcStack;
  let sut: TestApp;
  let origin: string;
  let issuer: string;
  let rp: RelyingPartyServer;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    stack = await startOidcStack();
    ({ sut, origin, issuer, rp } = stack);
  }, 60_000);
  afterAll(() => stack?.close());
  beforeEach(async () => {
    context = await stack.browser.newContext({ locale: 'en-US' });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  async function signIn(email: string): Promise<void> {
    await page.goto(`${origin}/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${origin}/account`);
  }

  /**
   * A registered client (first-party unless `client` says otherwise), openid-client's view of it,
   * and a user signed in to the hosted pages in this browser (aal1, by password).
   */
  async function signedInAtClient(client: Partial<CreateOidcClientDto> = {}) {
    const registered = await registerClient(sut, { redirectUris: [rp.redirectUri], firstParty: true, ...client });
    const config = await discover(issuer, registered.clientId, registered.clientSecret);
    const account = await passwordUser(sut);
    await signIn(account.email);
    return { client: registered, config, ...account };
  }

  const atClient = (target: URL) => target.href.startsWith(rp.redirectUri);

  async function exchange(config: oidc.Configuration, request: Awaited<ReturnType<typeof authorizationRequest>>) {
    return oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
    });
  }

  it('should ask a signed-in user for the second factor when the client asks for aal2', async () => {
    const { config, token } = await signedInAtClient(); // aal1: no factor yet
    const { secret } = await enrolTotp(sut, token);

    const request = await authorizationRequest(config, rp.redirectUri, { acr_values: 'aal2' });
    await page.goto(request.url.href);
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(atClient);

    const claims = (await exchange(config, request)).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
  });

  it('should refuse aal2 to the client when the account has no second factor', async () => {
    const { config } = await signedInAtClient();

    const request = await authorizationRequest(config, rp.redirectUri, { acr_values: 'aal2' });
    await page.goto(request.url.href);
    await page.waitForURL(atClient);
    expect(new URL(page.url()).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('should ask for the password again on prompt=login', async () => {
    const { config } = await signedInAtClient();
    const before = Math.floor(Date.now() / 1000);

    const request = await authorizationRequest(config, rp.redirectUri, { prompt: 'login' });
    await page.goto(request.url.href);
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).first().click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).first().click();
    await page.waitForURL(atClient);

    expect((await exchange(config, request)).claims()!.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('should ask for a fresh proof when the last sign-in is older than max_age', async () => {
    const { config } = await signedInAtClient();

    // max_age=0: any sign-in is too old (OIDC Core 3.1.2.1: as prompt=login).
    const request = await authorizationRequest(config, rp.redirectUri, { max_age: '0' });
    await page.goto(request.url.href);
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).first().click();
    await page.waitForURL(atClient);
    const claims = (await exchange(config, request)).claims()!;
    expect(claims.auth_time).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
  });

  it('should show a third-party client the consent page once, and tell it when the user says no', async () => {
    const { client, config, user } = await signedInAtClient({ name: 'Partner <Portal>', firstParty: false });

    const denied = await authorizationRequest(config, rp.redirectUri);
    await page.goto(denied.url.href);
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Partner <Portal>');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(atClient);
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');

    const allowed = await authorizationRequest(config, rp.redirectUri);
    await page.goto(allowed.url.href);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(atClient);
    await exchange(config, allowed);

    const consents = await auditEventsOf(sut, user.id, 'oidc.consent_given');
    expect(consents.map((event) => event.data)).toEqual([
      // offline_access is dropped without prompt=consent (OIDC Core 11); the rest as asked.
      { clientId: client.clientId, scopes: ['openid', 'email', 'profile'] },
    ]);

    // Remembered for this user, client and scopes: straight back to the client.
    const again = await authorizationRequest(config, rp.redirectUri);
    await page.goto(again.url.href);
    await page.waitForURL(atClient);
    expect((await exchange(config, again)).claims()!.iss).toBe(issuer);
  });

  it('should answer prompt=none without a page while the SecureAuth session lives, and login_required once it ended', async () => {
    const { config } = await signedInAtClient();
    const first = await authorizationRequest(config, rp.redirectUri);
    await page.goto(first.url.href);
    await page.waitForURL(atClient);
    const signedIn = (await exchange(config, first)).claims()!;

    const silent = await authorizationRequest(config, rp.redirectUri, { prompt: 'none' });
    await page.goto(silent.url.href);
    await page.waitForURL(atClient);
    expect((await exchange(config, silent)).claims()!.sub).toBe(signedIn.sub);

    await page.goto(`${origin}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
    const after = await authorizationRequest(config, rp.redirectUri, { prompt: 'none' });
    await page.goto(after.url.href);
    await page.waitForURL(atClient);
    expect(new URL(page.url()).searchParams.get('error')).toBe('login_required');
  });

  it('should refuse an expired code', async () => {
    const { config } = await signedInAtClient();
    const request = await authorizationRequest(config, rp.redirectUri);
    await page.goto(request.url.href);
    await page.waitForURL(atClient);

    // The code's stored expiry moved to the past, as OIDC_CODE_TTL seconds later (the provider checks exp).
    const redis = sut.app.get<Redis>(REDIS);
    const key = `oidc:default:AuthorizationCode:${new URL(page.url()).searchParams.get('code')}`;
    const stored = JSON.parse((await redis.get(key))!) as { exp: number };
    await redis.set(key, JSON.stringify({ ...stored, exp: Math.floor(Date.now() / 1000) - 1 }), 'KEEPTTL');

    await expect(exchange(config, request)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('should end the SecureAuth session, the grant and notify the client on RP-initiated logout', async () => {
    const { config } = await signedInAtClient({
      postLogoutRedirectUris: [`${rp.origin}/bye`],
      backchannelLogoutUri: `${rp.origin}/backchannel`,
    });
    const request = await authorizationRequest(config, rp.redirectUri);
    await page.goto(request.url.href);
    await page.waitForURL(atClient);
    const tokens = await exchange(config, request);
    const logoutTokensBefore = rp.logoutTokens.length;

    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${rp.origin}/bye`,
    });
    await page.goto(logout.href);
    await page.getByRole('button', { name: /sign.*out|yes/i }).click();
    await page.waitForURL(`${rp.origin}/bye`);

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await eventually('the logout token', () => rp.logoutTokens.length > logoutTokensBefore);
    await page.goto(`${origin}/account`);
    await page.waitForURL(/\/signin/);
  });
});
