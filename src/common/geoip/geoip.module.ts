import { Global, Module } from '@nestjs/common';
import { GeoipService } from './geoip.service';

/** Where a client address is (country, city), for every module that records a sign-in. */
@Global()
@Module({ providers: [GeoipService], exports: [GeoipService] })
export class GeoipModule {}
