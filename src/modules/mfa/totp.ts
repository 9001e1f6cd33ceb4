import { Secret, TOTP } from 'otpauth';

/** API.md "TOTP": RFC 6238, SHA-1, 6 digits, 30 s, ±1 step, 160-bit secrets. */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
export const TOTP_WINDOW = 1;
export const TOTP_SECRET_BYTES = 20;

/** A base32 TOTP secret in the clear: only ever in memory, or shown once at setup. */
export type TotpSecretPlain = string & { readonly __brand: 'TotpSecretPlain' };

export function generateTotpSecret(): TotpSecretPlain {
  return new Secret({ size: TOTP_SECRET_BYTES }).base32 as TotpSecretPlain;
}

export function totpStepAt(timestampMs: number, period: number = TOTP_PARAMS.period): number {
  return Math.floor(timestampMs / 1000 / period);
}

/**
 * Checks `code` against the steps around `timestampMs` and answers the matched time step
 * (so the caller can refuse it a second time), or null.
 */
export function matchTotpStep(
  secret: TotpSecretPlain,
  code: string,
  timestampMs: number,
  options: { digits?: number; window?: number } = {},
): number | null {
  const digits = options.digits ?? TOTP_PARAMS.digits;
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return null;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret),
    algorithm: TOTP_PARAMS.algorithm,
    digits,
    period: TOTP_PARAMS.period,
    timestamp: timestampMs,
    window: options.window ?? TOTP_WINDOW,
  });
  return delta === null ? null : totpStepAt(timestampMs) + delta;
}

export function otpauthUrl(secret: TotpSecretPlain, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), ...TOTP_PARAMS }).toString();
}
