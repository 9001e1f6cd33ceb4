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

export function setSessionCookies(
  reply: FastifyReply,
  settings: CookieSettings,
  tokens: { accessToken: string; accessTtl: number; refreshToken: string; refreshTtl: number },
): void {
  void reply.setCookie(ACCESS_COOKIE, tokens.accessToken, options(settings, '/', tokens.accessTtl));
  void reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, options(settings, REFRESH_COOKIE_PATH, tokens.refreshTtl));
}

export function clearSessionCookies(reply: FastifyReply, settings: CookieSettings): void {
  void reply.clearCookie(ACCESS_COOKIE, options(settings, '/'));
  void reply.clearCookie(REFRESH_COOKIE, options(settings, REFRESH_COOKIE_PATH));
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
