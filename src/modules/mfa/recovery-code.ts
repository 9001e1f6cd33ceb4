import { randomInt } from 'node:crypto';

/** Crockford base32: no i, l, o, u, so codes read back unambiguously. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RECOVERY_CODE_COUNT = 10;
const GROUP = 5;

/** `xxxxx-xxxxx`: 50 bits from a CSPRNG, enough against online guessing under the account throttle. */
export function generateRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < GROUP * 2; i++) raw += ALPHABET[randomInt(0, ALPHABET.length)];
  return `${raw.slice(0, GROUP)}-${raw.slice(GROUP)}`;
}

/** What users type: any case, with or without the dash or spaces, Crockford look-alikes folded. */
export function normalizeRecoveryCode(input: string): string | null {
  const folded = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (folded.length !== GROUP * 2 || [...folded].some((char) => !ALPHABET.includes(char))) return null;
  return folded;
}
