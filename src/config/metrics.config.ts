import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

/** Long enough that guessing it over the wire is hopeless even though /metrics is not throttled. */
export const METRICS_TOKEN_MIN_LENGTH = 32;

/**
 * Who may read /metrics. Its counters move with account actions (a reset code sent only for
 * a real account), so it is never public: a bearer token on the public port, or a separate
 * listener on the loopback interface, or nothing at all.
 */
export const metricsConfig = registerAs('metrics', () => {
  const env = new EnvReader();
  const token = env.optional('METRICS_TOKEN');
  if (token !== undefined) {
    if (token.length < METRICS_TOKEN_MIN_LENGTH) {
      throw new ConfigError('METRICS_TOKEN', `must be at least ${METRICS_TOKEN_MIN_LENGTH} characters`);
    }
    // It travels in an Authorization header: visible ASCII only.
    if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError('METRICS_TOKEN', 'must be printable ASCII without spaces');
  }
  const port =
    env.optional('METRICS_PORT') === undefined ? undefined : env.int('METRICS_PORT', 0, { min: 1, max: 65535 });
  return {
    /** Bearer token that unlocks /metrics on the public port. */
    token,
    /** Port of the loopback-only listener that serves /metrics without a token. */
    port,
  };
});

export type MetricsConfig = ReturnType<typeof metricsConfig>;
