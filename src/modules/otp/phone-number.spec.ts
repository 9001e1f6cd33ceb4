import { AppException } from '../../common/errors';
import { normalizePhone, requirePhone } from './phone-number';

describe('phone number normalisation', () => {
  it('should normalise valid numbers to E.164', () => {
    expect(normalizePhone('+14155550123')).toBe('+14155550123');
    expect(normalizePhone(' +1 (415) 555-0123 ')).toBe('+14155550123');
    expect(normalizePhone('+33 6 12 34 56 78')).toBe('+33612345678');
    expect(normalizePhone('+49 151 12345678')).toBe('+4915112345678');
  });

  it('should refuse numbers without a country code, too short, or not valid numbers', () => {
    expect(normalizePhone('4155550123')).toBeNull();
    expect(normalizePhone('+1234')).toBeNull();
    expect(normalizePhone('+1 000 000 0000')).toBeNull();
    expect(normalizePhone('+1415555012a')).toBeNull();
    expect(normalizePhone('')).toBeNull();
  });

  it('should answer VALIDATION_FAILED with details on the phone field', () => {
    try {
      requirePhone('+12');
      throw new Error('expected a validation failure');
    } catch (error) {
      expect(error).toBeInstanceOf(AppException);
      expect((error as AppException).code).toBe('VALIDATION_FAILED');
      expect((error as AppException).details).toEqual([expect.objectContaining({ field: 'phone' })]);
    }
  });
});
