import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

export const BREACHED_PASSWORD_MODES = ['off', 'warn', 'block'] as const;
export type BreachedPasswordMode = (typeof BREACHED_PASSWORD_MODES)[number];

export const PWNED_PASSWORDS_RANGE_URL = 'https://api.pwnedpasswords.com/range/';

/** New passwords against a k-anonymity range API (Have I Been Pwned's Pwned Passwords format). */
export const breachedPasswordConfig = registerAs('breachedPassword', () => {
  const env = new EnvReader();
  return {
    mode: env.oneOf('BREACHED_PASSWORD_CHECK', BREACHED_PASSWORD_MODES, 'block'),
    rangeUrl: rangeUrl(env.string('HIBP_RANGE_URL', PWNED_PASSWORDS_RANGE_URL)),
    timeoutMs: env.int('HIBP_TIMEOUT_MS', 1500, { min: 1, max: 60_000 }),
  };
});

/** The 5-character prefix is appended to it: it must be http(s) and end with a slash (added when missing). */
function rangeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('HIBP_RANGE_URL', `must be a URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('HIBP_RANGE_URL', `must be an http(s) URL, got "${raw}"`);
  }
  if (url.search || url.hash) throw new ConfigError('HIBP_RANGE_URL', 'must not carry a query or fragment');
  return raw.endsWith('/') ? raw : `${raw}/`;
}

export type BreachedPasswordConfig = ReturnType<typeof breachedPasswordConfig>;
