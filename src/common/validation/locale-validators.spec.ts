import { isAssignedCountry, isLanguageTag } from './locale-validators';

describe('profile validators', () => {
  it.each(['GB', 'DE', 'US', 'JP', 'BR', 'CH'])('should accept the assigned country code %s', (code) => {
    expect(isAssignedCountry(code)).toBe(true);
  });

  it.each(['gb', 'GBR', 'AA', 'ZZ', 'EU', 'UN', 'XK', 'XX', '', 'G1', 42])('should refuse %p as a country', (code) => {
    expect(isAssignedCountry(code)).toBe(false);
  });

  it.each(['en', 'de-DE', 'pt-BR', 'zh-Hant-TW', 'sr-Latn'])('should accept the language tag %s', (tag) => {
    expect(isLanguageTag(tag)).toBe(true);
  });

  it.each(['', 'e', 'en-', 'de_DE', 'x'.repeat(36), '12', null])('should refuse %p as a language tag', (tag) => {
    expect(isLanguageTag(tag)).toBe(false);
  });
});
