import type { Place } from '../../common/geoip/geoip.service';
import { greatCircleKm, impossibleTravel, isNewPlace } from './place-judgement';
import type { KnownPlace } from './sign-in-places.service';

const NOW = new Date('2026-12-04T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);

const known = (countryCode: string, lastSeenAt: Date, latitude = 51.5, longitude = -0.12): KnownPlace => ({
  countryCode,
  city: null,
  latitude,
  longitude,
  lastSeenAt,
});
const place = (countryCode: string, latitude: number | null, longitude: number | null): Place => ({
  countryCode,
  country: null,
  city: null,
  latitude,
  longitude,
});

describe('isNewPlace', () => {
  it('should not call the first sign-in of an account new', () => {
    expect(isNewPlace([], 'FR', NOW)).toBe(false);
  });

  it('should call a country new until it was seen within 90 days', () => {
    expect(isNewPlace([known('GB', daysAgo(1))], 'FR', NOW)).toBe(true);
    expect(isNewPlace([known('GB', daysAgo(1)), known('FR', daysAgo(89))], 'FR', NOW)).toBe(false);
    expect(isNewPlace([known('GB', daysAgo(1)), known('FR', daysAgo(90))], 'FR', NOW)).toBe(false);
    expect(isNewPlace([known('GB', daysAgo(1)), known('FR', daysAgo(90.01))], 'FR', NOW)).toBe(true);
  });
});

describe('impossibleTravel', () => {
  const LONDON = { latitude: 51.5142, longitude: -0.0931 };
  const NEW_YORK = place('US', 40.7128, -74.006); // 5,572 km from London
  const PARIS = place('FR', 48.8566, 2.3522);

  it('should measure great-circle distances', () => {
    expect(greatCircleKm(LONDON.latitude, LONDON.longitude, 48.8566, 2.3522)).toBeCloseTo(343, -1);
    expect(greatCircleKm(LONDON.latitude, LONDON.longitude, 40.7128, -74.006)).toBeCloseTo(5570, -1);
    expect(greatCircleKm(10, 20, 10, 20)).toBe(0);
  });

  it('should flag a trip faster than 1,000 km/h and say how fast it would have been', () => {
    const previous = known('GB', hoursAgo(5), LONDON.latitude, LONDON.longitude);
    expect(impossibleTravel(previous, NEW_YORK, NOW)).toEqual({
      fromCountry: 'GB',
      fromCity: null,
      toCountry: 'US',
      toCity: null,
      previousAt: previous.lastSeenAt.toISOString(),
      distanceKm: 5572,
      hours: 5,
      speedKmh: 1114,
    });
  });

  it('should let a flight through (under 1,000 km/h)', () => {
    expect(impossibleTravel(known('GB', hoursAgo(6), LONDON.latitude, LONDON.longitude), NEW_YORK, NOW)).toBeNull();
  });

  it('should not judge trips under 500 km, however quick: GeoIP places are city centroids', () => {
    expect(
      impossibleTravel(known('GB', new Date(NOW.getTime() - 1000), LONDON.latitude, LONDON.longitude), PARIS, NOW),
    ).toBeNull();
  });

  it('should judge a trip within one country as well', () => {
    const losAngeles = place('US', 34.0522, -118.2437);
    expect(impossibleTravel(known('US', hoursAgo(1), 40.7128, -74.006), losAngeles, NOW)?.speedKmh).toBeGreaterThan(
      3900,
    );
  });

  it('should judge nothing without coordinates or a previous sign-in, and survive a clock step back', () => {
    expect(impossibleTravel(undefined, NEW_YORK, NOW)).toBeNull();
    expect(
      impossibleTravel(known('GB', hoursAgo(1), LONDON.latitude, LONDON.longitude), place('US', null, null), NOW),
    ).toBeNull();
    const future = known('GB', new Date(NOW.getTime() + 60_000), LONDON.latitude, LONDON.longitude);
    expect(impossibleTravel(future, NEW_YORK, NOW)?.hours).toBe(0);
  });
});
