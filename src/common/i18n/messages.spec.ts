import { LANGUAGES, pickLanguage } from './languages';
import { MESSAGE_CATALOGUES, messageTranslator } from './messages';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('message catalogues', () => {
  const english = MESSAGE_CATALOGUES.en;

  it.each(LANGUAGES)('should give every key of English in %s, with the same placeholders', (language) => {
    const catalogue = MESSAGE_CATALOGUES[language];
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(english).sort());
    for (const [key, text] of Object.entries(catalogue) as Array<[keyof typeof english, string]>) {
      expect({ key, empty: text.trim().length === 0 }).toEqual({ key, empty: false });
      expect({ key, placeholders: placeholders(text) }).toEqual({ key, placeholders: placeholders(english[key]) });
    }
  });

  it('should fill placeholders once, leaving braces inside values alone', () => {
    const t = messageTranslator('en');
    expect(t('notice.email_changed.intro', { newEmail: '{minutes}@example.com' })).toBe(
      'Your account now uses a new email address: {minutes}@example.com.',
    );
  });

  it("should choose the user's locale before Accept-Language, and English for anything else", () => {
    expect(pickLanguage({ userLocale: 'de-AT', acceptLanguage: 'en' })).toBe('de');
    expect(pickLanguage({ userLocale: null, acceptLanguage: 'fr;q=1, de;q=0.8' })).toBe('de');
    expect(pickLanguage({ userLocale: 'fr', acceptLanguage: 'es' })).toBe('en');
  });
});
