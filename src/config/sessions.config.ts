import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const sessionsConfig = registerAs('sessions', () => {
  const env = new EnvReader();
  return {
    /**
     * How long a rotated refresh token still answers its successor (two tabs refreshing at
     * once). Capped at a minute: a longer window is a longer life for a stolen token.
     * 0 = strict reuse detection.
     */
    refreshReuseGraceSeconds: env.int('REFRESH_REUSE_GRACE_SECONDS', 10, { min: 0, max: 60 }),
  };
});

export type SessionsConfig = ReturnType<typeof sessionsConfig>;
