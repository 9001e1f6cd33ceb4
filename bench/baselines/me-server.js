'use strict';

/**
 * Baseline for scenario 1: the least a `/me`-like endpoint can do. A bare node:http server
 * that verifies the same ES256 access tokens as the service (its JWKS, issuer, audience)
 * with jose on every request and does one Redis GET (the live-session check).
 *
 * env: PORT, REDIS_URL, REDIS_PREFIX, JWKS_URL, JWT_ISSUER, JWT_AUDIENCE
 */
const http = require('node:http');
const Redis = require('ioredis');
const { createLocalJWKSet, jwtVerify } = require('jose');

async function main() {
  const { PORT, REDIS_URL, REDIS_PREFIX, JWKS_URL } = process.env;
  const issuer = process.env.JWT_ISSUER ?? 'secureauth';
  const audience = process.env.JWT_AUDIENCE ?? 'secureauth';
  const jwks = createLocalJWKSet(await (await fetch(JWKS_URL)).json());
  const redis = new Redis(REDIS_URL, { keyPrefix: REDIS_PREFIX, enableOfflineQueue: true });

  const send = (res, status, body) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  };

  const server = http.createServer(async (req, res) => {
    if (req.url === '/ready') return send(res, 200, { status: 'ok' });
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) return send(res, 401, { code: 'UNAUTHORIZED' });
    try {
      const { payload } = await jwtVerify(header.slice(7), jwks, { issuer, audience, algorithms: ['ES256'] });
      const live = await redis.get(`live:${payload.sid}`);
      if (live === null) return send(res, 401, { code: 'UNAUTHORIZED' });
      send(res, 200, {
        user: { id: payload.sub, tenantId: payload.tid, roles: payload.roles },
        session: { id: payload.sid },
      });
    } catch {
      send(res, 401, { code: 'UNAUTHORIZED' });
    }
  });
  server.keepAliveTimeout = 5_000;
  server.listen(Number(PORT), '127.0.0.1', () => process.send?.({ ready: true }));
  process.on('SIGTERM', () => {
    server.close();
    redis.disconnect();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
