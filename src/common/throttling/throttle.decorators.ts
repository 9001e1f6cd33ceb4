import { SetMetadata } from '@nestjs/common';

export const THROTTLE_SCOPE = 'secureauth:throttleScope';
export type ThrottleScope = 'auth' | 'default';

/**
 * The stricter per-IP limit (THROTTLE_AUTH_LIMIT per THROTTLE_AUTH_TTL, per route) for
 * login, register, resend, send-otp, verify-otp, password and MFA-challenge routes, on top of
 * the per-IP `default` budget every route shares.
 */
export const AuthThrottle = () => SetMetadata(THROTTLE_SCOPE, 'auth' satisfies ThrottleScope);
