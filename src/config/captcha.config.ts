import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

/**
 * The CAPTCHA provider's server-side check (Turnstile / hCaptcha `siteverify`). Unset means no
 * tenant can turn CAPTCHA on: a tenant setting that could not be enforced is refused.
 */
export const captchaConfig = registerAs('captcha', () => {
  const env = new EnvReader();
  const verifyUrl = env.optional('CAPTCHA_VERIFY_URL');
  if (verifyUrl === undefined) return { verify: undefined };
  const url = env.url('CAPTCHA_VERIFY_URL', verifyUrl);
  // The secret crosses the network with every check: never in clear outside development.
  if (env.production && new URL(url).protocol !== 'https:') {
    throw new ConfigError('CAPTCHA_VERIFY_URL', 'must be an https URL in production');
  }
  const secret = env.optional('CAPTCHA_SECRET');
  if (!secret) throw new ConfigError('CAPTCHA_SECRET', 'is required when CAPTCHA_VERIFY_URL is set');
  return {
    verify: {
      url,
      secret,
      timeoutMs: env.int('CAPTCHA_TIMEOUT_MS', 3000, { min: 100, max: 30_000 }),
    },
  };
});

export type CaptchaConfig = ReturnType<typeof captchaConfig>;
