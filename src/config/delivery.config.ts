import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

export const SMS_PROVIDERS = ['log', 'twilio', 'vonage'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

export const deliveryConfig = registerAs('delivery', () => {
  const env = new EnvReader();
  const smtpUrl = env.optional('SMTP_URL');
  // An ordered list: `twilio,vonage` fails over from Twilio to Vonage (SmsFailoverTransport).
  const smsProviders = env.list('SMS_PROVIDER', ['log']);
  for (const name of smsProviders) {
    if (!(SMS_PROVIDERS as readonly string[]).includes(name)) {
      throw new ConfigError('SMS_PROVIDER', `must list providers among ${SMS_PROVIDERS.join(', ')}, got "${name}"`);
    }
  }
  if (smsProviders.length === 0 || new Set(smsProviders).size !== smsProviders.length) {
    throw new ConfigError('SMS_PROVIDER', 'must name each provider once');
  }
  const whatsappProvider = env.oneOf('WHATSAPP_PROVIDER', ['log', 'cloud-api'] as const, 'log');
  if (env.production) {
    if (!smtpUrl) throw new ConfigError('SMTP_URL', 'must be set in production (the log transport is for development)');
    if (smsProviders.includes('log')) throw new ConfigError('SMS_PROVIDER', 'cannot be log in production');
    if (whatsappProvider === 'log') throw new ConfigError('WHATSAPP_PROVIDER', 'cannot be log in production');
  }
  const twilio = smsProviders.includes('twilio')
    ? {
        accountSid: env.string('TWILIO_ACCOUNT_SID'),
        authToken: env.string('TWILIO_AUTH_TOKEN'),
        from: env.string('TWILIO_FROM'),
        baseUrl: env.url('TWILIO_BASE_URL', 'https://api.twilio.com'),
      }
    : undefined;
  const vonage = smsProviders.includes('vonage')
    ? {
        apiKey: env.string('VONAGE_API_KEY'),
        apiSecret: env.string('VONAGE_API_SECRET'),
        from: env.string('VONAGE_FROM'),
        baseUrl: env.url('VONAGE_BASE_URL', 'https://rest.nexmo.com'),
      }
    : undefined;
  const whatsapp =
    whatsappProvider === 'cloud-api'
      ? {
          token: env.string('WHATSAPP_TOKEN'),
          phoneNumberId: env.string('WHATSAPP_PHONE_NUMBER_ID'),
          baseUrl: env.url('WHATSAPP_BASE_URL', 'https://graph.facebook.com/v21.0'),
        }
      : undefined;
  return {
    /**
     * Keys the stored hash of every destination (matching suppressions and webhooks without
     * keeping addresses). The same variable and value as OTP codes: rows already written hold
     * hashes under it, and a suppression must keep matching its address across this release.
     */
    destinationPepper: env.secret('OTP_PEPPER', 'development-otp-pepper'),
    smtpUrl,
    mailFrom: env.string('MAIL_FROM', 'SecureAuth <no-reply@localhost>'),
    smsProviders: smsProviders as SmsProviderName[],
    whatsappProvider,
    twilio,
    vonage,
    /** A provider failing this often within the window is skipped for the cooldown (ProviderCircuitBreaker). */
    breaker: {
      failures: env.int('SMS_BREAKER_FAILURES', 5, { min: 1 }),
      windowMs: env.int('SMS_BREAKER_WINDOW_MS', 60_000, { min: 100 }),
      cooldownMs: env.int('SMS_BREAKER_COOLDOWN_MS', 30_000, { min: 100 }),
    },
    whatsapp,
    attempts: env.int('DELIVERY_ATTEMPTS', 5, { min: 1, max: 50 }),
    backoffMs: env.int('DELIVERY_BACKOFF_MS', 1000, { min: 1 }),
    webhookSecret: env.secret('DELIVERY_WEBHOOK_SECRET', 'development-webhook-secret'),
    /** Where providers call us back (Twilio StatusCallback); unset means no callback URL is sent. */
    publicBaseUrl: env.optional('PUBLIC_BASE_URL')?.replace(/\/+$/, ''),
    workerConcurrency: env.int('DELIVERY_WORKER_CONCURRENCY', 20, { min: 1 }),
    providerTimeoutMs: env.int('DELIVERY_PROVIDER_TIMEOUT_MS', 10_000, { min: 100 }),
    /**
     * Channel fallback: a message with a fallback channel (tenant `channelOrder`) that its
     * provider has not accepted this long after it was queued goes out by the next channel.
     */
    fallbackAfterMs: env.int('DELIVERY_FALLBACK_AFTER_MS', 15_000, { min: 100 }),
    /** A job whose worker stops renewing its lock for this long is handed to another worker (stalled). */
    jobLockMs: env.int('DELIVERY_JOB_LOCK_MS', 30_000, { min: 1000 }),
    /**
     * A message row still `queued` this long after it was written, whose job never reached the
     * queue (the API died in between), is queued again by the workers' sweep, run this often.
     */
    strandedAfterMs: env.int('DELIVERY_STRANDED_AFTER_MS', 30_000, { min: 0 }),
    strandedSweepMs: env.int('DELIVERY_STRANDED_SWEEP_MS', 30_000, { min: 100 }),
    /**
     * SMS and WhatsApp messages per hour, every tenant together, and per country calling code: a
     * ceiling on what SMS pumping (toll fraud) can cost before an operator steps in.
     */
    smsHourlyBudget: env.int('SMS_HOURLY_BUDGET', 1000, { min: 1 }),
    smsCountryHourlyBudget: env.int('SMS_COUNTRY_HOURLY_BUDGET', 200, { min: 1 }),
  };
});

export type DeliveryConfig = ReturnType<typeof deliveryConfig>;
