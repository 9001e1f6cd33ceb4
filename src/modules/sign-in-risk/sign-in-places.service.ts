import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Place } from '../../common/geoip/geoip.service';
import { SignInPlace } from './sign-in-place.entity';

/** A country the user signed in from before, as it stood before this sign-in. */
export interface KnownPlace {
  countryCode: string;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  lastSeenAt: Date;
}

interface PlaceRow {
  country_code: string;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  last_seen_at: Date | string;
}

const SELECT_PLACES = `select "country_code", "city", "latitude", "longitude", "last_seen_at"
  from "sign_in_place" where "tenant_id" = ? and "user_id" = ?`;

/** The `sign_in_place` table: the countries each user signed in from, and the latest sign-in's whereabouts. */
@Injectable()
export class SignInPlaces {
  constructor(private readonly em: EntityManager) {}

  /** The user's places, most recent first. */
  async of(tenantId: string, userId: string): Promise<KnownPlace[]> {
    const rows = await this.em.execute<PlaceRow[]>(`${SELECT_PLACES} order by "last_seen_at" desc`, [tenantId, userId]);
    return rows.map(toKnownPlace);
  }

  /**
   * Remembers a sign-in from `place` at `at` and answers the places as they were before it, most
   * recent first, in one statement (the CTE reads the snapshot before its own upsert).
   */
  async record(
    tenantId: string,
    userId: string,
    place: Place,
    at: Date,
    em: EntityManager = this.em,
  ): Promise<KnownPlace[]> {
    const rows = await em.execute<PlaceRow[]>(
      `with "remembered" as (
         insert into "sign_in_place" ("tenant_id", "user_id", "country_code", "city", "latitude", "longitude", "last_seen_at")
         values (?, ?, ?, ?, ?, ?, ?)
         on conflict ("tenant_id", "user_id", "country_code") do update set
           "city" = excluded."city", "latitude" = excluded."latitude", "longitude" = excluded."longitude",
           "last_seen_at" = greatest("sign_in_place"."last_seen_at", excluded."last_seen_at")
       )
       ${SELECT_PLACES} order by "last_seen_at" desc`,
      [
        tenantId,
        userId,
        place.countryCode,
        place.city?.slice(0, 100) ?? null,
        place.latitude,
        place.longitude,
        at,
        tenantId,
        userId,
      ],
    );
    return rows.map(toKnownPlace);
  }

  /** A deleted account's purge: where it signed in from. */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.nativeDelete(SignInPlace, { tenantId, userId });
  }
}

function toKnownPlace(row: PlaceRow): KnownPlace {
  return {
    countryCode: row.country_code,
    city: row.city,
    latitude: row.latitude,
    longitude: row.longitude,
    lastSeenAt: new Date(row.last_seen_at),
  };
}
