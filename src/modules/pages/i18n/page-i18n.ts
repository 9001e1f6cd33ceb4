import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_LANGUAGE,
  LANGUAGES as PAGE_LANGUAGES,
  pickLanguage,
  type Language as PageLanguage,
} from '../../../common/i18n/languages';

// The pages speak the languages every message does; the choice order is shared too.
export { DEFAULT_LANGUAGE, PAGE_LANGUAGES, pickLanguage, type PageLanguage };

export type Catalogue = Readonly<Record<string, string>>;

/** Read once at boot from the JSON beside this file (copied into dist by the build). */
export function loadCatalogue(language: PageLanguage): Catalogue {
  return Object.freeze(JSON.parse(readFileSync(join(__dirname, `${language}.json`), 'utf8')) as Record<string, string>);
}

const catalogues: Record<PageLanguage, Catalogue> = {
  en: loadCatalogue('en'),
  de: loadCatalogue('de'),
};

export type Translate = (key: string) => string;

/** A missing key shows English, then the key itself: a page never breaks on a missing string (a test catches it). */
export function translator(language: PageLanguage): Translate {
  const own = catalogues[language];
  return (key) => own[key] ?? catalogues[DEFAULT_LANGUAGE][key] ?? key;
}
