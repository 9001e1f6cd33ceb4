/** The languages every page, email, SMS and WhatsApp text exists in (API.md "Hosted pages"). */
export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

/** The supported language of a BCP 47 tag (`de-AT` → `de`), or undefined. */
export function supportedLanguage(tag: string | null | undefined): Language | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(primary) ? (primary as Language) : undefined;
}

/** Accept-Language tags by their q weight, highest first (ties keep the header's order). */
function acceptedTags(header: string | null | undefined): string[] {
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

/**
 * API.md's order: `?lang=` (pages), then the user's `locale`, then Accept-Language, then
 * English. Messages to a user follow the same order without the query.
 */
export function pickLanguage(choice: {
  query?: string | null;
  userLocale?: string | null;
  acceptLanguage?: string | null;
  /** The tenant's `locale`: when nothing before chooses. */
  fallback?: string | null;
}): Language {
  return (
    supportedLanguage(choice.query) ??
    supportedLanguage(choice.userLocale) ??
    acceptedTags(choice.acceptLanguage)
      .map(supportedLanguage)
      .find((language) => language !== undefined) ??
    supportedLanguage(choice.fallback) ??
    DEFAULT_LANGUAGE
  );
}
