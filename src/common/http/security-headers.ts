/**
 * Security headers on every answer: helmet's defaults, with a CSP that lets the Swagger UI at
 * /docs load its own scripts and inline styles. They never vary by request, so they are one
 * constant object instead of helmet's middleware chain, which rebuilt them per request (~7 %
 * of a GET /me).
 *
 * `upgrade-insecure-requests` only in production: in development the service is often reached
 * over plain http from another machine (a LAN address), where the directive made the browser
 * fetch /docs' scripts over https and the page stayed blank. Production runs behind TLS.
 */
export function securityHeaders(production: boolean): Readonly<Record<string, string>> {
  return Object.freeze({ ...BASE_HEADERS, 'content-security-policy': csp(production) });
}

const csp = (production: boolean) =>
  [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' https: data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    ...(production ? ['upgrade-insecure-requests'] : []),
  ].join(';');

const BASE_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
