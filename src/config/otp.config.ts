import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const otpConfig = registerAs('otp', () => {
  const env = new EnvReader();
  return {
    pepper: env.secret('OTP_PEPPER', 'development-otp-pepper'),
    ttl: env.int('OTP_TTL', 300, { min: 1 }),
    mfaEmailTtl: env.int('MFA_EMAIL_OTP_TTL', 600, { min: 1 }),
    maxAttempts: env.int('OTP_MAX_ATTEMPTS', 5, { min: 1 }),
    resendCooldown: env.int('OTP_RESEND_COOLDOWN', 60, { min: 0 }),
    maxPerHour: env.int('OTP_MAX_PER_HOUR', 5, { min: 1 }),
    /** Wrong codes per destination per hour, across resends, before that destination is throttled. */
    maxFailuresPerHour: env.int('OTP_MAX_FAILURES_PER_HOUR', 10, { min: 1 }),
    defaultChannel: env.oneOf('OTP_DEFAULT_CHANNEL', ['whatsapp', 'sms'] as const, 'whatsapp'),
    signup: env.bool('OTP_SIGNUP', true),
  };
});

export type OtpConfig = ReturnType<typeof otpConfig>;
