import type { Place } from '../../common/geoip/geoip.service';
import type { KnownPlace } from './sign-in-places.service';

/** A country not signed in from for this long is a new place again. */
export const NEW_PLACE_WINDOW_DAYS = 90;
/** Faster than an airliner: two sign-ins this far apart in time cannot be the same person travelling. */
export const MAX_TRAVEL_SPEED_KMH = 1000;
/**
 * GeoIP places are city centroids, often tens to hundreds of kilometres off (mobile networks and
 * VPN exits resolve far from their users), so shorter trips are never judged: a phone and a laptop
 * of the same person would otherwise "travel" between neighbouring cities in a minute.
 */
export const MIN_JUDGED_DISTANCE_KM = 500;

const EARTH_RADIUS_KM = 6371;

/**
 * "New place": the user signed in before (a first sign-in is the account's own start, not news)
 * but not from this country in the last NEW_PLACE_WINDOW_DAYS.
 */
export function isNewPlace(known: readonly KnownPlace[], countryCode: string, now: Date): boolean {
  const since = now.getTime() - NEW_PLACE_WINDOW_DAYS * 86_400_000;
  return (
    known.length > 0 && !known.some((place) => place.countryCode === countryCode && place.lastSeenAt.getTime() >= since)
  );
}

export interface Travel {
  fromCountry: string;
  fromCity: string | null;
  toCountry: string;
  toCity: string | null;
  previousAt: string;
  distanceKm: number;
  hours: number;
  speedKmh: number;
}

/**
 * The trip from the previous sign-in to this one, when no one could have made it: at least
 * MIN_JUDGED_DISTANCE_KM and faster than MAX_TRAVEL_SPEED_KMH. Null when it is possible, or
 * when either place has no coordinates.
 */
export function impossibleTravel(previous: KnownPlace | undefined, place: Place, now: Date): Travel | null {
  if (!previous || previous.latitude === null || previous.longitude === null) return null;
  if (place.latitude === null || place.longitude === null) return null;
  const distanceKm = greatCircleKm(previous.latitude, previous.longitude, place.latitude, place.longitude);
  // A clock step or two sign-ins in the same instant: at least a second apart.
  const hours = Math.max(now.getTime() - previous.lastSeenAt.getTime(), 1000) / 3_600_000;
  const speedKmh = distanceKm / hours;
  if (distanceKm < MIN_JUDGED_DISTANCE_KM || speedKmh <= MAX_TRAVEL_SPEED_KMH) return null;
  return {
    fromCountry: previous.countryCode,
    fromCity: previous.city,
    toCountry: place.countryCode,
    toCity: place.city,
    previousAt: previous.lastSeenAt.toISOString(),
    distanceKm: Math.round(distanceKm),
    hours: Math.round(hours * 100) / 100,
    speedKmh: Math.round(speedKmh),
  };
}

/** Haversine distance on a spherical Earth; good to 0.5 %, far better than GeoIP itself. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
