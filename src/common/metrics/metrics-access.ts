import { createHash, timingSafeEqual } from 'node:crypto';

/** What a scrape of /metrics on the public port gets. */
export type PublicScrapeVerdict = 'allowed' | 'unauthorized' | 'not_found';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/**
 * Without a token configured, /metrics does not exist on the public port (it may live on the
 * loopback listener instead); with one, only `Authorization: Bearer <token>` reads it.
 */
export function publicScrapeVerdict(
  configuredToken: string | undefined,
  authorization: string | undefined,
): PublicScrapeVerdict {
  if (configuredToken === undefined) return 'not_found';
  const presented = BEARER.exec(authorization ?? '')?.[1];
  if (presented === undefined) return 'unauthorized';
  // Digests have one length, so the comparison reveals neither the token's length nor a matching prefix.
  return timingSafeEqual(digest(presented), digest(configuredToken)) ? 'allowed' : 'unauthorized';
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
