import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { CaptchaTestServer } from '../support/captcha-test-server';
import { createTenant } from '../support/factories';
import { startTestApp, type TestApp } from '../support/test-app';

/** A page's CSRF cookie and the token its form carries (the same value). */
async function formSession(sut: TestApp, path: string): Promise<{ cookie: string; token: string }> {
  const page = await fetch(`${sut.url}${path}`);
  const cookie = /sa_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1];
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!cookie || !token) throw new Error(`no CSRF token on ${path}`);
  return { cookie, token };
}

function postForm(sut: TestApp, path: string, fields: Record<string, string>, cookie?: string) {
  return fetch(`${sut.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie ? { cookie: `sa_csrf=${cookie}` } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('hosted pages over HTTP', () => {
  let sut: TestApp;
  let captcha: CaptchaTestServer;

  beforeAll(async () => {
    captcha = await CaptchaTestServer.start();
    sut = await startTestApp({
      ...captcha.env(),
      COOKIE_SECURE: 'false',
      THROTTLE_AUTH_LIMIT: '3',
      THROTTLE_DEFAULT_LIMIT: '100000',
    });
  });
  afterAll(async () => {
    await sut?.close();
    await captcha?.close();
  });

  it('should refuse a form without the CSRF cookie with 403 and the sign-in page error', async () => {
    const { token } = await formSession(sut, '/signin');
    const answer = await postForm(sut, '/signin', { _csrf: token, email: 'a@example.com', password: 'whatever 1234' });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await answer.text();
    expect(html).toMatch(/<div role="alert" class="error">\s*<p>Your form expired or came from another site/);
  });

  it('should still answer 415 to a form body on an /api route', async () => {
    const api = await fetch(`${sut.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40example.com&password=x',
    });
    expect(api.status).toBe(415);
  });

  // /forgot, which no other test here posts to: the auth budget is per route and address.
  it('should throttle the forgot form like its API route and say so in role="alert"', async () => {
    const { cookie, token } = await formSession(sut, '/forgot');
    const fields = { _csrf: token, email: 'nobody@example.com' };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await postForm(sut, '/forgot', fields, cookie);
      statuses.push(last.status);
      if (i < 3) await last.text();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await last!.text()).toContain('Too many attempts');
  });

  it("should ask for the tenant's CAPTCHA on the sign-up form as on its API route, on the sign-up page", async () => {
    const tenantId = await createTenant(sut);
    await sut.app.get(TenantsService).updateSettings(tenantId, { captcha: 'always' });
    const { cookie, token } = await formSession(sut, `/signup?tenant=${tenantId}`);
    const fields = { _csrf: token, tenant: tenantId, email: 'captcha@example.com', password: 'a long passphrase 42' };
    const answer = await postForm(sut, '/signup', fields, cookie);
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toContain('Please complete the CAPTCHA.');
    expect(html).toContain('<h1>Create an account</h1>');
  });

  describe("a tenant's branding", () => {
    const branded = (fields: Record<string, string>) =>
      createTenant(sut, undefined, { settings: { displayName: 'Acme <Corp>', ...fields } });

    it('should show its name (escaped) and logo, allow only that image origin, and link its colour', async () => {
      const tenantId = await branded({ logoUrl: 'https://cdn.acme.example/logo.svg?v=1', primaryColor: '#aa3300' });
      const page = await fetch(`${sut.url}/signin?tenant=${tenantId}`);
      const html = await page.text();
      expect(html).toContain('<title>Sign in · Acme &lt;Corp&gt;</title>');
      expect(html).toContain('<img src="https://cdn.acme.example/logo.svg?v=1" alt="Acme &lt;Corp&gt;"');
      expect(page.headers.get('content-security-policy')).toContain("img-src 'self' https://cdn.acme.example;");
      expect(html).toContain(`<link rel="stylesheet" href="/pages/assets/brand.css?tenant=${tenantId}">`);
      const css = await fetch(`${sut.url}/pages/assets/brand.css?tenant=${tenantId}`);
      expect([css.headers.get('content-type'), await css.text()]).toEqual([
        'text/css; charset=utf-8',
        ':root { --brand: #aa3300; }\n',
      ]);
    });

    it('should speak its locale when the browser names no language, and yield to one the browser names', async () => {
      const tenantId = await branded({ locale: 'de' });
      const silent = await fetch(`${sut.url}/signin?tenant=${tenantId}`, { headers: { 'accept-language': '' } });
      expect(silent.headers.get('content-language')).toBe('de');
      const english = await fetch(`${sut.url}/signin?tenant=${tenantId}`, { headers: { 'accept-language': 'en' } });
      expect(english.headers.get('content-language')).toBe('en');
    });

    it('should keep the default look elsewhere, and give no colour for an unknown tenant or a bad stored one', async () => {
      const plain = await fetch(`${sut.url}/signin`);
      const html = await plain.text();
      expect(html).toContain('<title>Sign in · SecureAuth</title>');
      expect(html).not.toContain('brand.css');
      expect(plain.headers.get('content-security-policy')).not.toContain('img-src');
      expect(await (await fetch(`${sut.url}/pages/assets/brand.css?tenant=no-such-tenant`)).text()).toBe('');
      const tampered = await createTenant(sut, undefined, { settings: { primaryColor: 'red;} body{display:none' } });
      expect(await (await fetch(`${sut.url}/pages/assets/brand.css?tenant=${tampered}`)).text()).toBe('');
    });
  });
});
