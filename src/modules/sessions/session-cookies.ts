import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const ACCESS_COOKIE = 'sa_access';
export const REFRESH_COOKIE = 'sa_refresh';
/** The refresh cookie travels only to the auth routes that need it. */
export const REFRESH_COOKIE_PATH = '/api/auth';

export interface CookieSettings {
  secure: boolean;
}

function options(settings: CookieSettings, path: string, maxAgeSeconds?: number): CookieSerializeOptions {
  return { httpOnly: true, secure: settings.secure, sameSite: 'strict', path, maxAge: maxAgeSeconds };
}

/** A cookie the controller sets or clears: services say which, only controllers touch the reply. */
export type SessionCookie =
  | { kind: 'set'; name: string; value: string; options: CookieSerializeOptions }
  | { kind: 'clear'; name: string; options: CookieSerializeOptions };

/** What a session flow answers: the body and the cookies that go with it. */
export interface SessionAnswer<T> {
  body: T;
  cookies: SessionCookie[];
}

export function sessionCookies(
  settings: CookieSettings,
  tokens: { accessToken: string; accessTtl: number; refreshToken: string; refreshTtl: number },
): SessionCookie[] {
  return [
    { kind: 'set', name: ACCESS_COOKIE, value: tokens.accessToken, options: options(settings, '/', tokens.accessTtl) },
    {
      kind: 'set',
      name: REFRESH_COOKIE,
      value: tokens.refreshToken,
      options: options(settings, REFRESH_COOKIE_PATH, tokens.refreshTtl),
    },
  ];
}

export function clearedSessionCookies(settings: CookieSettings): SessionCookie[] {
  return [
    { kind: 'clear', name: ACCESS_COOKIE, options: options(settings, '/') },
    { kind: 'clear', name: REFRESH_COOKIE, options: options(settings, REFRESH_COOKIE_PATH) },
  ];
}

/** For controllers only: writes a flow's cookies on the reply and answers its body. */
export function answerWith<T>(reply: FastifyReply, answer: SessionAnswer<T>): T {
  for (const cookie of answer.cookies) {
    if (cookie.kind === 'set') void reply.setCookie(cookie.name, cookie.value, cookie.options);
    else void reply.clearCookie(cookie.name, cookie.options);
  }
  return answer.body;
}

export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Bearer first; the HttpOnly cookie is the browser's fallback. */
export function accessTokenOf(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | null {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.length > 0) {
    const match = /^Bearer +([^\s]+)\s*$/i.exec(header);
    return match?.[1] ? { token: match[1], via: 'bearer' } : null;
  }
  const cookie = cookieOf(request, ACCESS_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : null;
}
