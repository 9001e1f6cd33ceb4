'use strict';

const crypto = require('node:crypto');
const { Client } = require('pg');
const { request } = require('./util');

/** A first-party confidential client of the default tenant, written straight into the registry (as the CLI would). */
async function registerBenchClient(databaseUrl) {
  const clientId = `bench-${crypto.randomBytes(8).toString('hex')}`;
  const clientSecret = crypto.randomBytes(32).toString('base64url');
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `insert into oidc_client (id, tenant_id, client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris,
                                grant_types, public, first_party)
       values (gen_random_uuid(), 'default', $1, 'bench', $2, $3, '{}', $4, false, true)`,
      [
        clientId,
        crypto.createHash('sha256').update(clientSecret).digest('hex'),
        ['http://127.0.0.1:9/cb'],
        ['authorization_code', 'refresh_token', 'client_credentials'],
      ],
    );
  } finally {
    await db.end();
  }
  return {
    clientId,
    clientSecret,
    redirectUri: 'http://127.0.0.1:9/cb',
    basic: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
  };
}

/** Cookies as a browser would keep them for one origin (paths ignored: every name is distinct here). */
class CookieJar {
  constructor(initial = {}) {
    this.cookies = new Map(Object.entries(initial));
  }
  take(headers) {
    const set = headers['set-cookie'] ?? [];
    for (const line of Array.isArray(set) ? set : [set]) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * One authorization code flow over HTTP, as a browser signed in to the hosted pages runs it (its
 * access cookie from a password sign-in), then the code exchanged: the tokens, refresh token included.
 */
async function authorize(base, client, accessToken) {
  const jar = new CookieJar({ sa_access: accessToken });
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid email',
    redirect_uri: client.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: crypto.randomBytes(8).toString('hex'),
  });
  let url = `${base}/oidc/default/auth?${params}`;
  for (let hop = 0; hop < 6; hop++) {
    const res = await request(url, { headers: { cookie: jar.header() } });
    jar.take(res.headers);
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(`authorization stopped at ${url}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    const next = new URL(location, base);
    if (next.href.startsWith(client.redirectUri)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code: ${next.href}`);
      return exchange(base, client, code, verifier);
    }
    url = next.href;
  }
  throw new Error('authorization did not reach the redirect URI');
}

async function exchange(base, client, code, verifier) {
  const res = await request(`${base}/oidc/default/token`, {
    method: 'POST',
    headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    }).toString(),
  });
  if (res.status !== 200 || !res.json?.refresh_token) throw new Error(`code exchange: ${res.status} ${res.text}`);
  return res.json;
}

/** autocannon requests for the token endpoint's refresh grant, rotating through a pool of refresh tokens. */
function oidcRefreshRequests(pool, client) {
  return [
    {
      method: 'POST',
      setupRequest(req) {
        const token = pool.shift();
        if (!token) throw new Error('OIDC refresh token pool ran dry: too many failed refreshes');
        return {
          ...req,
          headers: { ...req.headers, authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
        };
      },
      onResponse(status, body) {
        if (status !== 200) return;
        try {
          const next = JSON.parse(body).refresh_token;
          if (typeof next === 'string') pool.push(next);
        } catch {
          // counted as a non-2xx elsewhere
        }
      },
    },
  ];
}

module.exports = { registerBenchClient, authorize, oidcRefreshRequests };
