import { ValidateBy } from 'class-validator';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** Regions ICU names that ISO 3166-1 does not assign: groupings, pseudo-locales, user-assigned codes. */
const NOT_ASSIGNED = new Set(['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'XK', 'ZZ']);

/** Two upper-case letters that ICU knows as a country: assigned ISO 3166-1 codes, not "AA" or "EU". */
export function isAssignedCountry(value: unknown): boolean {
  if (typeof value !== 'string' || !/^[A-Z]{2}$/.test(value) || NOT_ASSIGNED.has(value)) return false;
  return regionNames.of(value) !== value;
}

/** A well-formed BCP 47 tag (Intl.getCanonicalLocales accepts it). */
export function isLanguageTag(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 35) return false;
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

export const IsAssignedCountry = () =>
  ValidateBy({
    name: 'isAssignedCountry',
    validator: {
      validate: isAssignedCountry,
      defaultMessage: () => 'must be an assigned ISO 3166-1 alpha-2 country code, e.g. GB',
    },
  });

export const IsLanguageTag = () =>
  ValidateBy({
    name: 'isLanguageTag',
    validator: { validate: isLanguageTag, defaultMessage: () => 'must be a BCP 47 language tag, e.g. de-DE' },
  });
