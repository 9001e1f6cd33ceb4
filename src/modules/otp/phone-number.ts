import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { AppException } from '../../common/errors';

/** A plus, then digits with the separators people type. */
const E164_LIKE = /^\+[\d\s().-]{6,24}$/;

/**
 * E.164 or nothing: the stored form, the key of codes and limits, and what providers get.
 * Numbers must carry their country code (+...); anything libphonenumber does not consider a
 * valid number is refused, so two spellings of one number can never be two destinations.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!E164_LIKE.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed?.isValid()) return null;
  return parsed.number;
}

/**
 * 400 VALIDATION_FAILED with details on `field` for an invalid phone number: a malformed one is
 * told the format, a well-formed one that no network can assign is told so (its format is fine).
 */
export function requirePhone(input: string, field = 'phone'): string {
  const phone = normalizePhone(input);
  if (phone) return phone;
  const message = E164_LIKE.test(input.trim())
    ? 'is not an assignable phone number (no such number exists in its country plan)'
    : 'must be a phone number in E.164 format, with the country code: +14155550123';
  throw new AppException('VALIDATION_FAILED', [{ field, message }]);
}
