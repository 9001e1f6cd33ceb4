import { redisConfig } from './redis.config';
import { isolateEnv } from '../../test/support/isolated-env';

describe('redisConfig topology', () => {
  isolateEnv(['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']);

  it('should talk to the one server of REDIS_URL by default', () => {
    expect(redisConfig().topology).toEqual({ kind: 'single' });
  });

  it('should read cluster seed nodes, with IPv6 addresses and the default port', () => {
    process.env.REDIS_CLUSTER_NODES = '10.0.0.1:7000, [fd00::2]:7001,redis-3';
    expect(redisConfig().topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'fd00::2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
    });
  });

  it('should read Sentinels (port 26379 when omitted) with their master name', () => {
    process.env.REDIS_SENTINELS = 's1:26380,s2';
    process.env.REDIS_SENTINEL_NAME = 'auth';
    expect(redisConfig().topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'auth',
    });
  });

  it.each([
    [{ REDIS_SENTINELS: 's1:26379' }, /REDIS_SENTINEL_NAME is required/],
    [{ REDIS_SENTINEL_NAME: 'auth' }, /REDIS_SENTINEL_NAME needs REDIS_SENTINELS/],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2', REDIS_SENTINEL_NAME: 'x' }, /exclude each other/],
    [{ REDIS_CLUSTER_NODES: 'redis://a:1/0' }, /REDIS_CLUSTER_NODES holds "redis:\/\/a:1\/0", not host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:notaport' }, /REDIS_CLUSTER_NODES holds "a:notaport", not host:port/],
  ])('should refuse %j at start, naming the variable', (env, message) => {
    Object.assign(process.env, env);
    expect(() => redisConfig()).toThrow(message);
  });
});
