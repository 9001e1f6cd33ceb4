import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PAGE_LANGUAGES = ['en', 'de'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];
export const DEFAULT_LANGUAGE: PageLanguage = 'en';

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

function supported(tag: string | null | undefined): PageLanguage | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return (PAGE_LANGUAGES as readonly string[]).includes(primary) ? (primary as PageLanguage) : undefined;
}

/** Accept-Language tags by their q weight, highest first (ties keep the header's order). */
function acceptedTags(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag.length > 0 && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}

/** API.md's order: `?lang=`, then the signed-in user's locale, then Accept-Language, then English. */
export function pickLanguage(choice: {
  query?: string | null;
  userLocale?: string | null;
  acceptLanguage?: string;
}): PageLanguage {
  return (
    supported(choice.query) ??
    supported(choice.userLocale) ??
    acceptedTags(choice.acceptLanguage)
      .map(supported)
      .find((language) => language !== undefined) ??
    DEFAULT_LANGUAGE
  );
}
