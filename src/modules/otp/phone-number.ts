import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { AppException } from '../../common/errors';

/**
 * E.164 or nothing: the stored form, the key of codes and limits, and what providers get.
 * Numbers must carry their country code (+...); anything libphonenumber does not consider a
 * valid number is refused, so two spellings of one number can never be two destinations.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+[\d\s().-]{6,24}$/.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed?.isValid()) return null;
  return parsed.number;
}

/** 400 VALIDATION_FAILED with details on `field` for an invalid phone number. */
export function requirePhone(input: string, field = 'phone'): string {
  const phone = normalizePhone(input);
  if (!phone)
    throw new AppException('VALIDATION_FAILED', [{ field, message: 'must be a valid phone number in E.164 format' }]);
  return phone;
}
