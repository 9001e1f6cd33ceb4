import { Secret, TOTP } from 'otpauth';
import { generateTotpSecret, matchTotpStep, otpauthUrl, type TotpSecretPlain } from './totp';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = new Secret({ buffer: new TextEncoder().encode('12345678901234567890').buffer })
  .base32 as TotpSecretPlain;

const codeAt = (secret: TotpSecretPlain, timestampMs: number) =>
  TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    timestamp: timestampMs,
  });

describe('totp', () => {
  it('should match the RFC 6238 SHA-1 test vectors', () => {
    expect(matchTotpStep(RFC_SECRET, '94287082', 59_000, { digits: 8, window: 0 })).toBe(1);
    expect(matchTotpStep(RFC_SECRET, '07081804', 1_111_111_109_000, { digits: 8, window: 0 })).toBe(37_037_036);
    expect(matchTotpStep(RFC_SECRET, '14050471', 1_111_111_111_000, { digits: 8, window: 0 })).toBe(37_037_037);
    expect(matchTotpStep(RFC_SECRET, '89005924', 1_234_567_890_000, { digits: 8, window: 0 })).toBe(41_152_263);
    expect(matchTotpStep(RFC_SECRET, '69279037', 2_000_000_000_000, { digits: 8, window: 0 })).toBe(66_666_666);
  });

  it('should accept the 6-digit truncation of the RFC vector (T=59 -> 287082)', () => {
    expect(matchTotpStep(RFC_SECRET, '287082', 59_000)).toBe(1);
  });

  it('should accept a code one step early or late and refuse two steps away', () => {
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    expect(matchTotpStep(RFC_SECRET, codeAt(RFC_SECRET, now - 30_000), now)).toBe(step - 1);
    expect(matchTotpStep(RFC_SECRET, codeAt(RFC_SECRET, now + 30_000), now)).toBe(step + 1);
    expect(matchTotpStep(RFC_SECRET, codeAt(RFC_SECRET, now - 60_000), now)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, codeAt(RFC_SECRET, now + 60_000), now)).toBeNull();
  });

  it('should refuse malformed codes', () => {
    expect(matchTotpStep(RFC_SECRET, '28708', 59_000)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, '2870822', 59_000)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, '28708a', 59_000)).toBeNull();
  });

  it('should generate 160-bit secrets and an otpauth URL with the fixed parameters', () => {
    const secret = generateTotpSecret();
    expect(Secret.fromBase32(secret).bytes).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
    const url = new URL(otpauthUrl(secret, 'SecureAuth', 'ada@example.com'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('issuer')).toBe('SecureAuth');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    expect(url.searchParams.get('secret')).toBe(secret);
  });
});
