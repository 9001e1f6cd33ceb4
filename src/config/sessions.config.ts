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
    /** Live sessions per user; a sign-in beyond it revokes the least recently used. */
    maxSessionsPerUser: env.int('MAX_SESSIONS_PER_USER', 50, { min: 1, max: 1000 }),
    /** Devices remembered per user; a new one beyond it forgets the least recently seen (and its sessions). */
    maxDevicesPerUser: env.int('MAX_DEVICES_PER_USER', 50, { min: 1, max: 1000 }),
  };
});

export type SessionsConfig = ReturnType<typeof sessionsConfig>;
