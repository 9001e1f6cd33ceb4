import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A country a user signed in from, and where and when the last sign-in from it was: the
 * memory behind "new place" (a country not seen for 90 days) and "impossible travel" (the
 * latest row is the previous sign-in). A few rows per user, one per country.
 */
@Entity({ tableName: 'sign_in_place' })
export class SignInPlace {
  @PrimaryKey({ type: 'string', length: 64 })
  tenantId!: string;

  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  /** ISO 3166-1 alpha-2. */
  @PrimaryKey({ type: 'string', length: 2 })
  countryCode!: string;

  /** The last sign-in from this country: its city and coordinates (GeoIP city centroid). */
  @Property({ type: 'string', length: 100, nullable: true })
  city: string | null = null;

  @Property({ type: 'double', nullable: true })
  latitude: number | null = null;

  @Property({ type: 'double', nullable: true })
  longitude: number | null = null;

  @Property({ type: 'datetime' })
  lastSeenAt!: Date;
}
