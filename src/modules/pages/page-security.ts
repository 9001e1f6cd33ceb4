import { randomBytes, timingSafeEqual } from 'node:crypto';
import { originOf } from '../sessions/csrf';

/** Double-submit CSRF cookie: random per browser, HttpOnly; the form carries the same value in `_csrf`. */
export const CSRF_COOKIE = 'sa_csrf';
export const CSRF_FIELD = '_csrf';

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** API.md "Hosted pages": the exact policy, with this response's nonce. */
export function pageCsp(nonce: string, imageOrigins: string[] = [], formOrigins: string[] = []): string {
  return [
    "default-src 'self'",
    // The tenant's logo may live elsewhere (an https origin checked when it was set); nothing else may.
    ...(imageOrigins.length > 0 ? [`img-src 'self' ${imageOrigins.join(' ')}`] : []),
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    // An OIDC sign-in's forms end, through redirects, at the client's registered redirect URI.
    ["form-action 'self'", ...formOrigins].join(' '),
  ].join('; ');
}

/** The form's token must equal the cookie's; both present, compared in constant time. */
export function isCsrfTokenValid(cookie: string | undefined, field: unknown): boolean {
  if (typeof cookie !== 'string' || typeof field !== 'string' || cookie.length < 32) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(field);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `?return_to=` is followed only to the service's own origin or one in RETURN_TO_ORIGINS; a
 * relative path stays on the service. Anything else (another origin, `//host`, `javascript:`) is
 * ignored: an open redirect after sign-in would hand phishing pages a trusted link.
 */
export function safeReturnTo(raw: unknown, ownOrigin: string, allowedOrigins: readonly string[]): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return undefined;
  let target: URL;
  try {
    target = new URL(raw, ownOrigin);
  } catch {
    return undefined;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return undefined;
  const origin = originOf(target.href);
  if (origin === null) return undefined;
  if (origin === originOf(ownOrigin)) {
    // `http://self//evil.example` has the path `//evil.example`: as a Location it would leave the service.
    if (target.pathname.startsWith('//')) return undefined;
    return `${target.pathname}${target.search}${target.hash}`;
  }
  return allowedOrigins.includes(origin) ? target.href : undefined;
}
