import * as oidc from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import { passwordUser, PASSWORD } from '../e2e/mfa-support';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { eventually } from '../support/eventually';
import {
  authorizationRequest,
  discover,
  registerClient,
  startOidcStack,
  type OidcStack,
  type RelyingPartyServer,
} from '../support/relying-party';
import type { TestApp } from '../support/test-app';
import { TenantsService } from '../../src/modules/tenants/tenants.service';

/**
 * SecureAuth as an OpenID Connect provider, driven by a real relying party (openid-client) and a
 * real browser: the sign-in happens on the hosted pages, the tokens are checked by openid-client
 * against the issuer's JWKS, and revoking the SecureAuth session ends what the client holds.
 */
/** The User-Agent of the browser that signs in to the client: how its session is told apart on the account page. */
const RP_BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) OidcTestBrowser/1.0 Chrome/140.0';

describe('OIDC provider with openid-client and Chromium', () => {
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
    context = await stack.browser.newContext({ locale: 'en-US', userAgent: RP_BROWSER });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  /** Signs in on the hosted page the authorization led to, and lands on the client's redirect URI. */
  async function signInThroughPages(url: URL, email: string): Promise<URL> {
    await page.goto(url.href);
    await page.waitForURL(/\/signin\?/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((target) => target.href.startsWith(rp.redirectUri));
    return new URL(page.url());
  }

  it('should sign a user in with code + PKCE, and end the grant when the user revokes the session on the account page', async () => {
    const client = await registerClient(sut, {
      redirectUris: [rp.redirectUri],
      firstParty: true,
      backchannelLogoutUri: `${rp.origin}/backchannel`,
    });
    const config = await discover(issuer, client.clientId, client.clientSecret);
    expect(config.serverMetadata().issuer).toBe(issuer);
    const { user, email } = await passwordUser(sut);
    const request = await authorizationRequest(config, rp.redirectUri, { prompt: 'consent' });

    const callback = await signInThroughPages(request.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
    });

    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, aud: client.clientId, sub: user.id, acr: 'aal1', amr: ['pwd'] });
    expect(tokens.access_token.split('.')).toHaveLength(3);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, email, email_verified: true });

    // The code is single use: presented again it fails, and what it gave is revoked (RFC 6749 4.1.2).
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });

    const second = await authorizationRequest(config, rp.redirectUri, { prompt: 'consent' });
    await page.goto(second.url.href);
    await page.waitForURL((target) => target.href.startsWith(rp.redirectUri));
    const again = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: second.codeVerifier,
      expectedState: second.state,
    });
    const refreshed = await oidc.refreshTokenGrant(config, again.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(again.refresh_token);

    // The OIDC sign-in is that browser's SecureAuth session: the user sees it on the account page
    // (here from a second browser, signed in on the pages) and signs it out there.
    const other = await stack.browser.newContext({ locale: 'en-US' });
    const otherPage = await other.newPage();
    await otherPage.goto(`${origin}/signin`);
    await otherPage.getByLabel('Email').fill(email);
    await otherPage.getByLabel('Password').fill(PASSWORD);
    await otherPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await otherPage.goto(`${origin}/account/sessions`);
    // The session is the client's: its id is the session's service (API.md "Where a sign-in comes from").
    expect(await otherPage.locator('li', { hasText: 'OidcTestBrowser' }).innerText()).toContain(client.clientId);
    await otherPage
      .locator('li', { hasText: 'OidcTestBrowser' })
      .getByRole('button', { name: /^Sign out/ })
      .click();
    await otherPage.waitForURL(/notice=session_revoked/);
    await other.close();

    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, user.id)).rejects.toThrow();
    await eventually('the back-channel logout token', () => rp.logoutTokens.length === 1);
    const { payload } = await jwtVerify(
      rp.logoutTokens[0],
      createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)),
      {
        issuer,
        audience: client.clientId,
        typ: 'logout+jwt',
      },
    );
    expect(payload).toMatchObject({ sub: user.id, sid: claims.sid });
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
  });

  it('should end the grant when a rotated refresh token is presented again', async () => {
    const client = await registerClient(sut, { redirectUris: [rp.redirectUri], firstParty: true });
    const config = await discover(issuer, client.clientId, client.clientSecret);
    const { email } = await passwordUser(sut);
    const request = await authorizationRequest(config, rp.redirectUri, { prompt: 'consent' });
    const tokens = await oidc.authorizationCodeGrant(config, await signInThroughPages(request.url, email), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
    });
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // A replayed refresh token means it leaked: the whole grant ends, the current token with it.
    await expect(oidc.refreshTokenGrant(config, rotated.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  describe('refusals', () => {
    /** The authorization endpoint's answer to a request, without following redirects. */
    async function authorize(clientId: string, params: Record<string, string>, tenant = 'default') {
      const url = new URL(`${origin}/oidc/${tenant}/auth`);
      url.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        scope: 'openid',
        ...params,
      }).toString();
      const response = await fetch(url, { redirect: 'manual' });
      const location = response.headers.get('location');
      return {
        status: response.status,
        location: location ? new URL(location, origin) : null,
        body: await response.text(),
      };
    }

    it('should refuse an unregistered redirect URI without redirecting to it', async () => {
      const client = await registerClient(sut, { redirectUris: [rp.redirectUri] });
      const answer = await authorize(client.clientId, {
        redirect_uri: `${rp.origin}/elsewhere`,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      expect(answer.status).toBe(400);
      expect(answer.location).toBeNull();
      expect(answer.body).toContain('redirect_uri did not match');
    });

    it.each([
      ['missing PKCE', {}],
      ['plain PKCE', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
    ])('should refuse %s', async (_name, pkce: Record<string, string>) => {
      const client = await registerClient(sut, { redirectUris: [rp.redirectUri] });
      const answer = await authorize(client.clientId, { redirect_uri: rp.redirectUri, state: 's', ...pkce });
      expect(answer.location?.origin).toBe(rp.origin);
      expect(answer.location?.searchParams.get('error')).toBe('invalid_request');
    });

    it("should not know another tenant's client", async () => {
      await sut.app.get(TenantsService).create('oidc-other', 'Other');
      const foreign = await registerClient(sut, { redirectUris: [rp.redirectUri] }, 'oidc-other');
      const answer = await authorize(foreign.clientId, {
        redirect_uri: rp.redirectUri,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('invalid_client');
      // At its own tenant's issuer the same client is known.
      const own = await discover(`${origin}/oidc/oidc-other`, foreign.clientId, foreign.clientSecret);
      expect(own.serverMetadata().issuer).toBe(`${origin}/oidc/oidc-other`);
    });

    it('should give client credentials a JWT access token, and refuse a wrong secret', async () => {
      const client = await registerClient(sut, { redirectUris: [], grantTypes: ['client_credentials'] });
      const config = await discover(issuer, client.clientId, client.clientSecret);
      const tokens = await oidc.clientCredentialsGrant(config);
      const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
        issuer,
        audience: issuer,
        typ: 'at+jwt',
      });
      expect(payload).toMatchObject({ client_id: client.clientId, sub: client.clientId });

      const wrong = await discover(issuer, client.clientId, `${client.clientSecret}x`);
      await expect(oidc.clientCredentialsGrant(wrong)).rejects.toMatchObject({ error: 'invalid_client' });
    });
  });
});
