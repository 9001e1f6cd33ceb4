import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

const DEVELOPMENT_COOKIE_KEY = 'development-oidc-cookie-key-change-me';

export const oidcConfig = registerAs('oidc', () => {
  const env = new EnvReader();
  return {
    /**
     * Keys signing the OIDC provider's own cookies (interaction, resume, its browser session),
     * comma-separated, newest first: an older key keeps verifying cookies while it is rotated out.
     */
    cookieKeys: env.secret('OIDC_COOKIE_KEYS', DEVELOPMENT_COOKIE_KEY, { minLength: 32 }).split(','),
    /** Lifetimes, seconds. The JWT access tokens are short: resource servers verify them without asking. */
    accessTokenTtlSeconds: env.int('OIDC_ACCESS_TOKEN_TTL', 600, { min: 60, max: 86_400 }),
    idTokenTtlSeconds: env.int('OIDC_ID_TOKEN_TTL', 600, { min: 60, max: 86_400 }),
    refreshTokenTtlSeconds: env.int('OIDC_REFRESH_TOKEN_TTL', 14 * 86_400, { min: 300 }),
    authorizationCodeTtlSeconds: env.int('OIDC_CODE_TTL', 60, { min: 10, max: 600 }),
    interactionTtlSeconds: env.int('OIDC_INTERACTION_TTL', 600, { min: 60, max: 3600 }),
  };
});

export type OidcConfig = ReturnType<typeof oidcConfig>;
