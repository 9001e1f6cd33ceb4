import { generateRecoveryCode, normalizeRecoveryCode } from './recovery-code';

describe('recovery codes', () => {
  it('should generate distinct grouped codes that normalise back to themselves', () => {
    const codes = new Set(Array.from({ length: 200 }, generateRecoveryCode));
    expect(codes.size).toBe(200);
    for (const code of codes) {
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
      expect(normalizeRecoveryCode(code)).toBe(code.replace('-', ''));
    }
  });

  it('should accept what users type: upper case, spaces, look-alike letters', () => {
    expect(normalizeRecoveryCode('AB1C0 - DEFGH')).toBe('ab1c0defgh');
    expect(normalizeRecoveryCode('abIcO-defgh')).toBe('ab1c0defgh');
  });

  it('should refuse codes of the wrong length or alphabet', () => {
    expect(normalizeRecoveryCode('abcde-fgh')).toBeNull();
    expect(normalizeRecoveryCode('abcde-fghu1')).toBeNull();
    expect(normalizeRecoveryCode('abcde-fghu')).toBeNull();
  });
});
