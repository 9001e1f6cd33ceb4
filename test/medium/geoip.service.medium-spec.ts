import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GeoipService } from '../../src/common/geoip/geoip.service';
import { eventually } from '../support/eventually';
import { writeMmdb, type MmdbEntry } from '../support/mmdb-writer';
import { newMediumTest, type MediumTest } from './medium.factory';

const LONDON: MmdbEntry = {
  network: '81.2.69.0/24',
  record: {
    country: { iso_code: 'GB', names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' } },
    city: { names: { en: 'London' } },
    location: { latitude: 51.5142, longitude: -0.0931 },
  },
};
const LINKOPING: MmdbEntry = {
  network: '89.160.20.112/28',
  record: {
    country: { iso_code: 'SE', names: { en: 'Sweden' } },
    city: { names: { en: 'Linköping' } },
    location: { latitude: 58.4167, longitude: 15.6167 },
  },
};
const DOCUMENTATION_V6: MmdbEntry = {
  network: '2001:db8::/32',
  record: { country: { iso_code: 'DE', names: { en: 'Germany' } } },
};

/**
 * GEOIP_DB_PATH with a small City database written by the test (MaxMind's format, see
 * test/support/mmdb-writer.ts), read by the `maxmind` reader: places, unknown addresses, and a
 * new database copied over the file while the service runs.
 */
describe(GeoipService.name, () => {
  let dir: string;
  let path: string;
  let medium: MediumTest<GeoipService>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'geoip-'));
    path = join(dir, 'City.mmdb');
    writeMmdb(path, [LONDON, LINKOPING, DOCUMENTATION_V6]);
    medium = await newMediumTest(GeoipService, { fromImports: true, env: { GEOIP_DB_PATH: path } });
  });
  afterAll(async () => {
    await medium.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should say the country and city of an address, IPv4, IPv4-mapped and IPv6', () => {
    expect(medium.sut.lookup('81.2.69.142')).toEqual({
      countryCode: 'GB',
      country: 'United Kingdom',
      city: 'London',
      latitude: 51.5142,
      longitude: -0.0931,
    });
    expect(medium.sut.lookup('::ffff:89.160.20.115')).toMatchObject({ countryCode: 'SE', city: 'Linköping' });
    expect(medium.sut.lookup('2001:db8::1')).toEqual({
      countryCode: 'DE',
      country: 'Germany',
      city: null,
      latitude: null,
      longitude: null,
    });
  });

  it('should know nothing of an address outside the database, a private one or garbage', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '89.160.20.128', '::1', 'not an ip', '', undefined, null]) {
      expect(medium.sut.lookup(address)).toBeNull();
    }
  });

  it('should use a new database copied over the file without a restart', async () => {
    const next = join(dir, 'next.mmdb');
    writeMmdb(next, [{ network: '81.2.69.0/24', record: { country: { iso_code: 'FR', names: { en: 'France' } } } }]);
    // As an update job does it: the new file renamed over the old one.
    copyFileSync(next, `${path}.tmp`);
    renameSync(`${path}.tmp`, path);
    await eventually('the new database', () => medium.sut.lookup('81.2.69.142')?.countryCode === 'FR', {
      deadlineMs: 15_000,
    });
    expect(medium.sut.lookup('89.160.20.115')).toBeNull();
  });
});

describe(`${GeoipService.name} without GEOIP_DB_PATH`, () => {
  it('should know no place, and start', async () => {
    const medium = await newMediumTest(GeoipService, { fromImports: true, env: { GEOIP_DB_PATH: undefined } });
    try {
      expect(medium.sut.lookup('81.2.69.142')).toBeNull();
    } finally {
      await medium.close();
    }
  });
});
