import { registerAs } from '@nestjs/config';
import { configWarnings, EnvReader } from './env-reader';

export const webhooksConfig = registerAs('webhooks', () => {
  const env = new EnvReader();
  const allowPrivate = env.bool('WEBHOOK_ALLOW_PRIVATE', false);
  if (allowPrivate && env.production) {
    configWarnings.add('WEBHOOK_ALLOW_PRIVATE is true: tenant admins can make webhooks reach this internal network');
  }
  return {
    /** Tries per event and endpoint, the first included; then the delivery is given up. */
    attempts: env.int('WEBHOOK_ATTEMPTS', 8, { min: 1, max: 50 }),
    /** For one whole try: DNS, connect, TLS and the (truncated) answer. */
    timeoutMs: env.int('WEBHOOK_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    backoffMs: env.int('WEBHOOK_BACKOFF_MS', 1000, { min: 1 }),
    /**
     * Lets webhooks reach loopback, private and link-local addresses: for tests and
     * deployments whose receivers live on an internal network. Off, that network is out of reach.
     */
    allowPrivate,
    /** An endpoint whose deliveries have all failed for this long is disabled until its owner acts. */
    disableAfterMs: env.int('WEBHOOK_DISABLE_AFTER_MS', 86_400_000, { min: 1000 }),
    workerConcurrency: env.int('WEBHOOK_WORKER_CONCURRENCY', 10, { min: 1 }),
  };
});

export type WebhooksConfig = ReturnType<typeof webhooksConfig>;
