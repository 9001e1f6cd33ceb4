/** Methods that change state; a cookie-authenticated one must come from an allowed origin. */
const UNSAFE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export interface OriginHeaders {
  origin?: string | string[];
  referer?: string | string[];
}

/** The origin of a URL, or null for one that has none (opaque, unparsable). */
export function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * CSRF defence for cookie-authenticated requests: the Origin header (or, when a browser
 * left it out, the Referer's origin) must be on the allow-list. No header at all is refused.
 */
export function isCrossSiteRequestAllowed(method: string, headers: OriginHeaders, allowedOrigins: string[]): boolean {
  if (!UNSAFE_METHODS.has(method.toUpperCase())) return true;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  const referer = typeof headers.referer === 'string' ? headers.referer : undefined;
  const claimed = origin !== undefined ? originOf(origin) : referer !== undefined ? originOf(referer) : null;
  if (claimed === null) return false;
  return allowedOrigins.some((allowed) => originOf(allowed) === claimed);
}

/** The service's own origin: PUBLIC_BASE_URL, else the scheme and host the request was sent to. */
export function serviceOrigin(request: { protocol: string; host: string }, app: { publicBaseUrl?: string }): string {
  return app.publicBaseUrl ?? `${request.protocol}://${request.host}`;
}

/**
 * The origins a cookie request may come from (API.md settled details): the service's own (a
 * browser sets Origin; a page elsewhere cannot claim this one) and CORS_ORIGINS.
 */
export function allowedOriginsFor(
  request: { protocol: string; host: string },
  app: { corsOrigins: string[]; publicBaseUrl?: string },
): string[] {
  return [serviceOrigin(request, app), ...app.corsOrigins];
}

/** Why a cookie request was refused, so that a developer trying it with curl knows what to send. */
export const CROSS_SITE_REFUSED =
  'Cross-site request refused: a cookie-authenticated request that changes state must send an Origin header (or a ' +
  "Referer) naming the service's own origin or one of CORS_ORIGINS. Clients that are not browsers can send the " +
  'access token as a Bearer token instead (and, as native clients, the refresh token in the body).';
