import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const appConfig = registerAs('app', () => {
  const env = new EnvReader();
  const cookieSecure = env.bool('COOKIE_SECURE', true);
  if (env.production && !cookieSecure) throw new ConfigError('COOKIE_SECURE', 'cannot be false in production');
  return {
    production: env.production,
    test: process.env.NODE_ENV === 'test',
    port: env.int('PORT', 3000, { min: 0, max: 65535 }),
    host: env.string('HOST', '0.0.0.0'),
    role: env.oneOf('APP_ROLE', APP_ROLES, 'all'),
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    corsOrigins: env.list('CORS_ORIGINS', ['http://localhost:3000']),
    /** The service's own origin (scheme://host[:port]); without it, each request's own scheme and host. */
    publicBaseUrl: env.optional('PUBLIC_BASE_URL')?.replace(/\/+$/, ''),
    cookieSecure,
    /** Proxy hops whose X-Forwarded-For we believe: false, a hop count, or a list of addresses. */
    trustProxy: parseTrustProxy(env.optional('TRUST_PROXY')),
    /** As written; RegistrationActivation brings them to the stored spelling (canonicalEmail) at boot. */
    bootstrapAdminEmails: env.list('BOOTSTRAP_ADMIN_EMAILS', []),
    bodyLimitBytes: env.int('BODY_LIMIT_BYTES', 100 * 1024, { min: 1024 }),
    /** Slow clients (slowloris) cannot hold sockets: whole headers, whole request, idle keep-alive, any socket. */
    http: {
      headersTimeoutMs: env.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 100 }),
      requestTimeoutMs: env.int('HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 100 }),
      keepAliveTimeoutMs: env.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, { min: 100 }),
      connectionTimeoutMs: env.int('HTTP_CONNECTION_TIMEOUT_MS', 30_000, { min: 100 }),
    },
    /** Bounded wait for in-flight requests and jobs on SIGTERM. */
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
  };
});

function parseTrustProxy(raw: string | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  // A hop count trusts the nearest N proxies, as proxy-addr always read a number. Fastify 5.12
  // stopped accepting numbers (it now trusts no hop), so the count becomes the function it meant.
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  return raw.split(',').map((entry) => entry.trim());
}

export type AppConfig = ReturnType<typeof appConfig>;
