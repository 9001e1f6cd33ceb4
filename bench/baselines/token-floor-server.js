'use strict';

/**
 * Baseline for scenario 7: the least an OAuth token endpoint can do. A bare node:http server
 * that reads the form body, authenticates the client (HTTP Basic, SHA-256 of the secret compared
 * in constant time, as the service stores secrets), and answers a freshly signed ES256 JWT access
 * token (P-256, the service's algorithm) as JSON. No storage: the floor is HTTP + client
 * authentication + one signature.
 *
 * env: PORT, CLIENT_ID, CLIENT_SECRET
 */
const crypto = require('node:crypto');
const http = require('node:http');

const { PORT, CLIENT_ID, CLIENT_SECRET } = process.env;
const expected = crypto.createHash('sha256').update(CLIENT_SECRET).digest();
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'floor' })).toString('base64url');

function sign(payload) {
  const body = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = crypto.sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${body}.${signature.toString('base64url')}`;
}

const send = (res, status, body) => {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};

const server = http.createServer((req, res) => {
  if (req.url === '/ready') return send(res, 200, { status: 'ok' });
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const [id, secret] = Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString().split(':');
    const presented = crypto.createHash('sha256').update(decodeURIComponent(secret ?? '')).digest();
    if (decodeURIComponent(id ?? '') !== CLIENT_ID || !crypto.timingSafeEqual(presented, expected)) {
      return send(res, 401, { error: 'invalid_client' });
    }
    const now = Math.floor(Date.now() / 1000);
    const accessToken = sign({
      jti: crypto.randomBytes(16).toString('base64url'),
      sub: CLIENT_ID,
      iat: now,
      exp: now + 600,
      client_id: CLIENT_ID,
      iss: 'http://floor',
      aud: 'http://floor',
      scope: form.get('scope') ?? undefined,
    });
    send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 600 });
  });
});
server.keepAliveTimeout = 5_000;
server.listen(Number(PORT), '127.0.0.1', () => process.send?.({ ready: true }));
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
