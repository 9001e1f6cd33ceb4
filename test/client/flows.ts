// The README's flows, written as a newcomer would with a client generated from openapi.json
// (openapi-typescript + openapi-fetch). Compiled with `tsc --strict` by generated-client.e2e-spec.ts:
// no casts, no `any`. If the OpenAPI document misleads, this file stops compiling or a flow fails.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/openapi';

export type ApiClient = Client<paths>;
type AuthResult = components['schemas']['AuthResultDto'];

/** What the flows need from outside the API: the codes that reach a mailbox, a phone, an app. */
export interface Inbox {
  emailCode(email: string): Promise<string>;
  phoneCode(phone: string): Promise<string>;
  /** The authenticator app's code, at a moment no code of this secret was used in. */
  totpCode(secret: string): string;
}

export function clientFor(baseUrl: string, accessToken?: string): ApiClient {
  return createClient<paths>({
    baseUrl,
    headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
  });
}

function expectOk<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) {
    throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

/**
 * Sign up: register, then the mailed code activates the account and signs in. Like the README's
 * curl calls, it leaves `client` out (a web client: the refresh token goes to a cookie).
 */
export async function signUp(api: ApiClient, inbox: Inbox, email: string, password: string): Promise<AuthResult> {
  const registered = await api.POST('/api/auth/register', { body: { email, password } });
  expectOk(registered, 'register');
  const code = await inbox.emailCode(email);
  const verified = await api.POST('/api/auth/email/verify', { body: { email, otp: code } });
  return expectOk(verified, 'verify email');
}

/** Sign in with a password, with or without a second factor. */
export async function signIn(
  api: ApiClient,
  inbox: Inbox,
  credentials: { email: string; password: string; totpSecret?: string },
): Promise<AuthResult> {
  const login = expectOk(
    await api.POST('/api/auth/login', {
      body: { email: credentials.email, password: credentials.password, client: 'native' },
    }),
    'login',
  );
  if (!('mfaToken' in login)) return login;
  if (!credentials.totpSecret || !login.methods.includes('totp')) throw new Error('a second factor is needed');
  const verified = await api.POST('/api/auth/mfa/verify', {
    body: {
      mfaToken: login.mfaToken,
      method: 'totp',
      code: inbox.totpCode(credentials.totpSecret),
      client: 'native',
    },
  });
  return expectOk(verified, 'mfa verify');
}

/** Sign in with a code sent to a phone (the account is created on the first sign-in). */
export async function signInByPhone(api: ApiClient, inbox: Inbox, phone: string): Promise<AuthResult> {
  const sent = expectOk(await api.POST('/api/auth/send-otp', { body: { phone, channel: 'sms' } }), 'send-otp');
  if (sent.channel !== 'sms') throw new Error(`sent by ${sent.channel}`);
  const code = await inbox.phoneCode(phone);
  const login = expectOk(
    await api.POST('/api/auth/verify-otp', { body: { phone, otp: code, client: 'native' } }),
    'verify-otp',
  );
  if ('mfaToken' in login) throw new Error('a new phone account has no second factor');
  return login;
}

export async function refresh(api: ApiClient, refreshToken: string): Promise<AuthResult> {
  return expectOk(await api.POST('/api/auth/refresh', { body: { refreshToken } }), 'refresh');
}

/** A web client refreshes with its cookie and no body; without the cookie, the typed error says why. */
export async function refreshWithoutCookie(api: ApiClient): Promise<string> {
  const refused = await api.POST('/api/auth/refresh');
  if (refused.error?.code !== 'REFRESH_TOKEN_INVALID') throw new Error(`unexpected ${refused.response.status}`);
  return refused.error.error;
}

/** Who am I, my sessions, and sign out everywhere else. */
export async function manageSessions(api: ApiClient): Promise<{ userId: string; before: number; after: number }> {
  const me = expectOk(await api.GET('/api/auth/me'), 'me');
  const before = expectOk(await api.GET('/api/auth/sessions'), 'list sessions');
  const revoked = await api.DELETE('/api/auth/sessions');
  if (revoked.response.status !== 204) throw new Error(`revoke others: ${revoked.response.status}`);
  const after = expectOk(await api.GET('/api/auth/sessions'), 'list sessions again');
  if (!after.every((session) => session.current)) throw new Error('another session survived');
  return { userId: me.user.id, before: before.length, after: after.length };
}

/** List my devices and give the current one a name. */
export async function nameDevice(api: ApiClient, name: string): Promise<string> {
  const devices = expectOk(await api.GET('/api/devices'), 'list devices');
  const device = devices[0];
  if (!device) throw new Error('no device');
  const renamed = expectOk(
    await api.PATCH('/api/devices/{id}', { params: { path: { id: device.id } }, body: { name } }),
    'rename device',
  );
  return renamed.name ?? '';
}

/** Turn TOTP on: setup, then confirm with the app's first code. */
export async function enrolTotp(api: ApiClient, inbox: Inbox): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = expectOk(await api.POST('/api/mfa/totp/setup'), 'totp setup');
  if (!setup.qrCode.startsWith('data:image/')) throw new Error('no QR code');
  const confirmed = expectOk(
    await api.POST('/api/mfa/totp/confirm', { body: { code: inbox.totpCode(setup.secret) } }),
    'totp confirm',
  );
  const status = expectOk(await api.GET('/api/mfa'), 'mfa status');
  if (!status.totp.enabled) throw new Error('TOTP is not on');
  return { secret: setup.secret, recoveryCodes: confirmed.recoveryCodes ?? [] };
}

/** An admin pages through the tenant's users, searching by email. */
export async function findUsers(api: ApiClient, query: string): Promise<string[]> {
  const emails: string[] = [];
  let cursor: string | undefined;
  do {
    const page = expectOk(
      await api.GET('/api/admin/users', { params: { query: { query, limit: 1, cursor } } }),
      'list users',
    );
    for (const user of page.items) if (user.email) emails.push(user.email);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return emails;
}
