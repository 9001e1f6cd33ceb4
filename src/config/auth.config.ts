import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

/** Public on purpose: development only, refused in production by EnvReader.key32. */
export const DEVELOPMENT_ENCRYPTION_KEY = 'ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk=';

export const authConfig = registerAs('auth', () => {
  const env = new EnvReader();
  return {
    jwtIssuer: env.string('JWT_ISSUER', 'secureauth'),
    jwtAudience: env.string('JWT_AUDIENCE', 'secureauth'),
    accessTokenTtl: env.int('ACCESS_TOKEN_TTL', 900, { min: 1 }),
    refreshTokenTtl: env.int('REFRESH_TOKEN_TTL', 2_592_000, { min: 1 }),
    sessionIdleTtl: env.int('SESSION_IDLE_TTL', 604_800, { min: 1 }),
    encryptionKey: env.key32('ENCRYPTION_KEY', DEVELOPMENT_ENCRYPTION_KEY),
    /** Identifies the encryption key in ciphertexts so that keys can rotate. */
    encryptionKeyId: env.string('ENCRYPTION_KEY_ID', 'k1'),
    reauthWindow: env.int('REAUTH_WINDOW', 600, { min: 1 }),
    passwordMinLength: env.int('PASSWORD_MIN_LENGTH', 8, { min: 8, max: 128 }),
    loginMaxFailures: env.int('LOGIN_MAX_FAILURES', 10, { min: 1 }),
    loginFailureWindow: env.int('LOGIN_FAILURE_WINDOW', 900, { min: 1 }),
    argon2MemoryKiB: env.int('ARGON2_MEMORY_KIB', 19_456, { min: 1024 }),
    argon2TimeCost: env.int('ARGON2_TIME_COST', 2, { min: 1 }),
    argon2Parallelism: env.int('ARGON2_PARALLELISM', 1, { min: 1 }),
    /**
     * Hashes running at once per process: libuv's pool has 4 threads; more would only queue
     * there, in front of other pool work (DNS lookups, file reads).
     */
    argon2Concurrency: env.int('ARGON2_CONCURRENCY', 4, { min: 1 }),
    /** How far below the event loop the hashing threads run (Linux nice, 0 = same priority). */
    argon2ThreadNiceness: env.int('ARGON2_THREAD_NICENESS', 10, { min: 0, max: 19 }),
  };
});

export type AuthConfig = ReturnType<typeof authConfig>;
