/** "London, United Kingdom" in a language from a city and an ISO country code; '' when neither is known. */
export function formatPlace(city: string | null | undefined, country: string | null | undefined, lang: string): string {
  let countryName = country ?? '';
  if (country) {
    try {
      countryName = new Intl.DisplayNames([lang], { type: 'region' }).of(country) ?? country;
    } catch {
      // A code Intl does not know is shown as it is.
    }
  }
  return [city, countryName].filter(Boolean).join(', ');
}
