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
});
