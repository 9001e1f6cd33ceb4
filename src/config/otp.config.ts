import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const otpConfig = registerAs('otp', () => {
  const env = new EnvReader();
  const maxPerHour = env.int('OTP_MAX_PER_HOUR', 5, { min: 1 });
  const maxFailuresPerHour = env.int('OTP_MAX_FAILURES_PER_HOUR', 10, { min: 1 });
  return {
    pepper: env.secret('OTP_PEPPER', 'development-otp-pepper'),
    ttl: env.int('OTP_TTL', 300, { min: 1 }),
    mfaEmailTtl: env.int('MFA_EMAIL_OTP_TTL', 600, { min: 1 }),
    maxAttempts: env.int('OTP_MAX_ATTEMPTS', 5, { min: 1 }),
    resendCooldown: env.int('OTP_RESEND_COOLDOWN', 60, { min: 0 }),
    maxPerHour,
    /** Wrong codes per destination per hour, across resends, before that destination is throttled. */
    maxFailuresPerHour,
    /**
     * The share of a destination's hourly sends and wrong codes one client address (IPv6: its
     * /64) may use: one address alone can no longer lock a victim's number out for the hour,
     * while the destination's totals above still bound a brute force from many addresses.
     */
    maxPerHourPerIp: env.int('OTP_MAX_PER_HOUR_PER_IP', Math.ceil(maxPerHour / 2), { min: 1, max: maxPerHour }),
    maxFailuresPerHourPerIp: env.int('OTP_MAX_FAILURES_PER_HOUR_PER_IP', Math.ceil(maxFailuresPerHour / 2), {
      min: 1,
      max: maxFailuresPerHour,
    }),
    defaultChannel: env.oneOf('OTP_DEFAULT_CHANNEL', ['whatsapp', 'sms'] as const, 'whatsapp'),
    signup: env.bool('OTP_SIGNUP', true),
  };
});

export type OtpConfig = ReturnType<typeof otpConfig>;
