import { registerAs } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { ConfigError, EnvReader } from './env-reader';

export const geoipConfig = registerAs('geoip', () => {
  const env = new EnvReader();
  const path = env.optional('GEOIP_DB_PATH');
  if (path !== undefined && !existsSync(path)) throw new ConfigError('GEOIP_DB_PATH', `${path} does not exist`);
  return {
    /** A MaxMind-format City database (GeoLite2 City or GeoIP2 City); unset: no place is known. */
    path,
  };
});

export type GeoipConfig = ReturnType<typeof geoipConfig>;
