import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import maxmind, { Reader, type Response } from 'maxmind';
import { buildMmdb, writeMmdb, type MmdbEntry } from '../support/mmdb-writer';

const london = {
  country: { iso_code: 'GB', names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' } },
  city: { names: { en: 'London' } },
  location: { latitude: 51.5142, longitude: -0.0931 },
};
const linkoping = {
  country: { iso_code: 'SE', geoname_id: 2661886, names: { en: 'Sweden', de: 'Schweden' } },
  city: { geoname_id: 2694762, names: { en: 'Linköping' } },
  location: { latitude: 58.4167, longitude: 15.6167, accuracy_radius: 76, time_zone: 'Europe/Stockholm' },
  subdivisions: [{ iso_code: 'E', names: { en: 'Östergötland County' } }],
  traits: { is_anycast: false, is_in_european_union: true },
};
const documentation = { country: { iso_code: 'US', names: { en: 'United States' } }, registered_country: {} };

const entries: MmdbEntry[] = [
  { network: '81.2.69.0/24', record: london },
  { network: '89.160.20.112/28', record: linkoping },
  { network: '2001:db8::/32', record: documentation },
];

function reader(database: Buffer): Reader<Response> {
  return new Reader<Response>(database);
}

describe('buildMmdb', () => {
  const db = reader(buildMmdb(entries, { description: 'Cities for tests' }));

  it('should find an IPv4 record anywhere in its network', () => {
    for (const ip of ['81.2.69.0', '81.2.69.142', '81.2.69.255']) expect(db.get(ip)).toEqual(london);
    for (const ip of ['89.160.20.112', '89.160.20.120', '89.160.20.127']) expect(db.get(ip)).toEqual(linkoping);
  });

  it('should report the prefix length of the IPv4 network found', () => {
    expect(db.getWithPrefixLength('81.2.69.142')).toEqual([london, 24]);
    expect(db.getWithPrefixLength('89.160.20.115')).toEqual([linkoping, 28]);
  });

  it('should find an IPv6 record anywhere in its network', () => {
    for (const ip of ['2001:db8::', '2001:db8::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']) {
      expect(db.get(ip)).toEqual(documentation);
    }
    expect(db.getWithPrefixLength('2001:db8:1::1')).toEqual([documentation, 32]);
  });

  it('should find nothing outside the networks', () => {
    for (const ip of ['81.2.68.255', '81.2.70.0', '89.160.20.111', '89.160.20.128', '8.8.8.8', '0.0.0.0']) {
      expect(db.get(ip)).toBeNull();
    }
    for (const ip of ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::', '::1', '::', 'ffff::']) {
      expect(db.get(ip)).toBeNull();
    }
  });

  it('should find IPv4 records through IPv4-mapped and 6to4 addresses, as MaxMind databases do', () => {
    expect(db.get('::ffff:81.2.69.142')).toEqual(london);
    expect(db.get('::ffff:89.160.20.120')).toEqual(linkoping);
    expect(db.get('::ffff:8.8.8.8')).toBeNull();
    expect(db.get('2002:5102:458e::')).toEqual(london);
    expect(db.get('::81.2.69.142')).toEqual(london);
  });

  it('should describe itself as a GeoLite2-City database, IPv6 with 28-bit records', () => {
    expect(db.metadata).toMatchObject({
      binaryFormatMajorVersion: 2,
      binaryFormatMinorVersion: 0,
      databaseType: 'GeoLite2-City',
      description: { en: 'Cities for tests' },
      ipVersion: 6,
      languages: ['en'],
      recordSize: 28,
    });
    expect(Math.abs(db.metadata.buildEpoch.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('should take the database type, languages and build time from the options', () => {
    const other = reader(
      buildMmdb(entries, { databaseType: 'GeoIP2-Country', languages: ['de', 'en'], buildEpoch: 1e9 }),
    );
    expect(other.metadata).toMatchObject({ databaseType: 'GeoIP2-Country', languages: ['de', 'en'] });
    expect(other.metadata.buildEpoch).toEqual(new Date(1e9 * 1000));
    expect(other.get('81.2.69.1')).toEqual(london);
  });

  it('should be readable from a file by maxmind.open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmdb-writer-'));
    try {
      const path = join(dir, 'GeoLite2-City.mmdb');
      writeMmdb(path, entries);
      const opened = await maxmind.open(path);
      expect(opened.get('81.2.69.160')).toEqual(london);
      expect(opened.get('2001:db8::42')).toEqual(documentation);
      expect(opened.get('1.1.1.1')).toBeNull();
      expect(opened.metadata.databaseType).toBe('GeoLite2-City');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should keep every kind of value, including sizes that need extra size bytes', () => {
    const manyKeys = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key${i}`, i]));
    const record = {
      strings: ['', 'a', 'x'.repeat(28), 'x'.repeat(29), 'x'.repeat(284), 'x'.repeat(285), 'x'.repeat(70_000), 'ü€😀'],
      numbers: [0, 1, 255, 256, 65_535, 65_536, 4_294_967_295, -1, -2_147_483_648, 0.5, -0.0931, 4_294_967_296, 1e300],
      booleans: [true, false],
      nested: { empty: {}, list: [], deep: { deeper: { deepest: [{ a: [1, [2, [3]]] }] } } },
      manyKeys,
      longList: Array.from({ length: 1_000 }, (_, i) => i),
    };
    expect(reader(buildMmdb([{ network: '10.0.0.0/8', record }])).get('10.1.2.3')).toEqual(record);
  });

  it('should store identical records once', () => {
    const database = buildMmdb([
      { network: '81.2.69.0/24', record: london },
      { network: '81.2.70.0/24', record: { ...london } },
    ]);
    expect(database.indexOf('London')).toBe(database.lastIndexOf('London'));
    expect(reader(database).get('81.2.70.9')).toEqual(london);
  });

  it('should let a later entry win where networks overlap', () => {
    const db = reader(
      buildMmdb([
        { network: '10.0.0.0/8', record: { name: 'wide' } },
        { network: '10.1.0.0/16', record: { name: 'narrow' } },
        { network: '2001:db8::/32', record: { name: 'narrow' } },
        { network: '2001::/16', record: { name: 'wide' } },
      ]),
    );
    expect(db.get('10.1.2.3')).toEqual({ name: 'narrow' });
    expect(db.get('10.2.0.0')).toEqual({ name: 'wide' });
    expect(db.get('10.0.255.255')).toEqual({ name: 'wide' });
    expect(db.get('2001:db8::1')).toEqual({ name: 'wide' });
  });

  it('should answer null everywhere for an empty database, and cover everything for /0', () => {
    const empty = reader(buildMmdb([]));
    expect(empty.get('1.2.3.4')).toBeNull();
    expect(empty.get('2001:db8::1')).toBeNull();
    const everything = reader(buildMmdb([{ network: '0.0.0.0/0', record: { all: true } }]));
    expect(everything.get('255.255.255.255')).toEqual({ all: true });
    expect(everything.get('::ffff:1.2.3.4')).toEqual({ all: true });
    expect(everything.get('2001:db8::1')).toBeNull();
  });

  it('should read IPv6 networks written in full, or with a dotted IPv4 tail', () => {
    const db = reader(
      buildMmdb([
        { network: '2001:db8:1:2:3:4:5:0/112', record: { name: 'full' } },
        { network: '64:ff9b::10.0.0.0/104', record: { name: 'nat64' } },
      ]),
    );
    expect(db.getWithPrefixLength('2001:db8:1:2:3:4:5:abcd')).toEqual([{ name: 'full' }, 112]);
    expect(db.get('2001:db8:1:2:3:4:6:0')).toBeNull();
    expect(db.getWithPrefixLength('64:ff9b::10.20.30.40')).toEqual([{ name: 'nat64' }, 104]);
    expect(db.get('64:ff9b::11.0.0.0')).toBeNull();
  });

  it('should refuse networks it cannot place', () => {
    expect(() => buildMmdb([{ network: '81.2.69.1/24', record: {} }])).toThrow('Host bits set');
    expect(() => buildMmdb([{ network: '81.2.69.0', record: {} }])).toThrow('Not a CIDR');
    expect(() => buildMmdb([{ network: '81.2.69.0/33', record: {} }])).toThrow('Not a CIDR');
    expect(() => buildMmdb([{ network: 'example.com/24', record: {} }])).toThrow('Not a CIDR');
    expect(() => buildMmdb([{ network: '::ffff:81.2.69.0/120', record: {} }])).toThrow('IPv4 alias');
    expect(() => buildMmdb([{ network: '2002:5102::/32', record: {} }])).toThrow('IPv4 alias');
    expect(() => buildMmdb([{ network: '81.2.69.0/24', record: { missing: null } }])).toThrow('cannot hold null');
  });
});

describe('buildMmdb with many networks', () => {
  // A fixed-seed generator (mulberry32): the same networks on every run, so a failure reproduces.
  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
  }
  const next = random(20_240_601);
  const byte = () => Math.floor(next() * 256);

  const prefixes = new Set<string>();
  while (prefixes.size < 600) prefixes.add(`${byte()}.${byte()}.${byte()}`);
  const [used, unused] = [[...prefixes].slice(0, 300), [...prefixes].slice(300)];
  const v6Prefixes = [...new Set(Array.from({ length: 100 }, () => `2a${byte().toString(16)}:${byte().toString(16)}`))];
  const networks: MmdbEntry[] = [
    ...used.map((prefix, i) => ({ network: `${prefix}.0/24`, record: { geoname_id: i, network: prefix } })),
    ...v6Prefixes.map((prefix, i) => ({
      network: `${prefix}::/32`,
      record: { geoname_id: 1_000 + i, network: prefix },
    })),
  ];
  const db = reader(buildMmdb(networks));

  it('should find each of 300 random /24 networks', () => {
    used.forEach((prefix, i) => {
      expect(db.get(`${prefix}.${byte()}`)).toEqual({ geoname_id: i, network: prefix });
      expect(db.getWithPrefixLength(`${prefix}.255`)[1]).toBe(24);
    });
  });

  it('should find nothing in the /24 networks left out', () => {
    for (const prefix of unused) expect(db.get(`${prefix}.${byte()}`)).toBeNull();
  });

  it('should find the IPv6 networks among them', () => {
    v6Prefixes.forEach((prefix, i) => {
      expect(db.get(`${prefix}:${byte().toString(16)}::1`)).toEqual({ geoname_id: 1_000 + i, network: prefix });
    });
    expect(db.get('2b00:1::1')).toBeNull();
  });
});
