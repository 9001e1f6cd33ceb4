import { loadCatalogue, PAGE_LANGUAGES, pickLanguage, translator } from './page-i18n';

describe('page message catalogues', () => {
  const english = loadCatalogue('en');

  it.each(PAGE_LANGUAGES)('should have every key of every other catalogue in %s', (language) => {
    const own = loadCatalogue(language);
    const everyKey = new Set(PAGE_LANGUAGES.flatMap((other) => Object.keys(loadCatalogue(other))));
    const missing = [...everyKey].filter((key) => typeof own[key] !== 'string' || own[key].trim() === '');
    expect(missing).toEqual([]);
  });

  it('should name an error text for every error code a page can show', () => {
    const codes = Object.keys(english).filter((key) => key.startsWith('errors.'));
    expect(codes).toEqual(expect.arrayContaining(['errors.INVALID_CREDENTIALS', 'errors.CSRF', 'errors.MFA_INVALID']));
  });

  it('should answer German text for a German page', () => {
    expect(translator('de')('signin.title')).toBe('Anmelden');
  });
});

describe('pickLanguage', () => {
  it('should prefer ?lang= over the user locale and Accept-Language', () => {
    expect(pickLanguage({ query: 'de', userLocale: 'en-GB', acceptLanguage: 'en' })).toBe('de');
  });

  it("should take the user's locale before Accept-Language", () => {
    expect(pickLanguage({ query: null, userLocale: 'de-AT', acceptLanguage: 'en' })).toBe('de');
  });

  it('should follow Accept-Language by weight', () => {
    expect(pickLanguage({ acceptLanguage: 'fr;q=0.9, de;q=0.8, en;q=0.5' })).toBe('de');
    expect(pickLanguage({ acceptLanguage: 'en;q=0.1, de-CH' })).toBe('de');
  });

  it('should ignore an unsupported ?lang= and fall back to English', () => {
    expect(pickLanguage({ query: 'xx', acceptLanguage: 'fr' })).toBe('en');
  });
});
