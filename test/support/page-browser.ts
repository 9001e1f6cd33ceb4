import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import type { User } from '../../src/modules/users/user.entity';
import { startSession } from '../e2e/sessions-support';
import { createUser } from './factories';
import type { HttpClient, TestResponse } from './http-client';
import { uniqueEmail } from './otp-test-helpers';
import type { TestApp } from './test-app';

export const PAGE_PASSWORD = 'correct horse battery staple 42';

/** A browser, as far as the hosted pages can tell over HTTP: a signed-in user's cookies and a page's CSRF token. */
export interface PageBrowser {
  user: User;
  http: HttpClient;
  csrf: string;
  sessionId: string;
  /** The Bearer token of the same session, for reading through the API. */
  token: string;
}

export function form(fields: Record<string, string>) {
  return { raw: { payload: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' } };
}

/** The message a page shows in role="alert". */
export const alertOf = (page: TestResponse) =>
  /<div role="alert" class="error">\s*<p>([^<]*)<\/p>/.exec(page.text)?.[1];

/** A fresh user with PAGE_PASSWORD, signed in with web cookies, holding the CSRF token of `path`. */
export async function signedInBrowser(
  sut: TestApp,
  { path = '/account', device }: { path?: string; device?: { id: string; name: string } } = {},
): Promise<PageBrowser> {
  const user = await createUser(sut, {
    email: uniqueEmail('pages'),
    passwordHash: await sut.app.get(PasswordHasher).hash(PAGE_PASSWORD),
  });
  const session = await startSession(sut, user, { device });
  const http = sut.http.fork();
  http.jar.set('sa_access', session.cookies.sa_access.value);
  const page = await http.get(path);
  if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error(`no CSRF token on ${path}`);
  return { user, http, csrf, sessionId: session.sessionId, token: session.accessToken };
}

/** A form of the pages, posted with the browser's CSRF token. */
export const postForm = (browser: PageBrowser, path: string, fields: Record<string, string> = {}) =>
  browser.http.post(path, undefined, form({ _csrf: browser.csrf, ...fields }));
