import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { isIP } from 'node:net';
import { unwatchFile } from 'node:fs';
import type { CityResponse, Reader } from 'maxmind';
import { geoipConfig } from '../../config/geoip.config';

/** Where an address is, as far as the database knows. */
export interface Place {
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  /** English name. */
  country: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
}

/**
 * Country and city of a client address from a local MaxMind-format database (GEOIP_DB_PATH),
 * read with the maintained `maxmind` reader, in memory; never a network lookup. The file is
 * watched: a new database copied over it is used without a restart (a broken one keeps the old).
 * Unset, or an address it does not know: null, and nothing else changes.
 */
@Injectable()
export class GeoipService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GeoipService.name);
  private reader: Reader<CityResponse> | null = null;

  constructor(@Inject(geoipConfig.KEY) private readonly config: ConfigType<typeof geoipConfig>) {}

  async onModuleInit(): Promise<void> {
    const path = this.config.path;
    if (!path) return;
    const { open } = await import('maxmind');
    this.reader = await open<CityResponse>(path, {
      watchForUpdates: true,
      // The watch never keeps a process alive that is shutting down.
      watchForUpdatesNonPersistent: true,
      watchForUpdatesHook: () => this.logger.log(`GeoIP database reloaded from ${path}`),
    });
  }

  onModuleDestroy(): void {
    if (this.config.path) unwatchFile(this.config.path);
  }

  lookup(address: string | null | undefined): Place | null {
    if (!this.reader || !address) return null;
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
    const ip = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    if (isIP(ip) === 0) return null;
    const found = this.reader.get(ip);
    const countryCode = found?.country?.iso_code ?? found?.registered_country?.iso_code;
    if (!found || !countryCode) return null;
    return {
      countryCode,
      country: found.country?.names?.en ?? null,
      city: found.city?.names?.en ?? null,
      latitude: found.location?.latitude ?? null,
      longitude: found.location?.longitude ?? null,
    };
  }
}
