'use strict';

const autocannon = require('autocannon');

/**
 * One autocannon run (in this driver process, never in the service's). Throughput counts
 * 2xx answers only; errors and other statuses are reported so a broken route shows up.
 */
function cannon({ url, method = 'GET', headers = {}, body, connections, seconds, requests }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method,
        headers,
        body,
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        requests,
      },
      (error, result) => {
        if (error) return reject(error);
        const ok = result['2xx'];
        resolve({
          rps: ok / result.duration,
          ok,
          total: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          p50: result.latency.p50,
          p99: result.latency.p99,
          mean: result.latency.average,
          seconds: result.duration,
          statusCodes: result.statusCodeStats,
        });
      },
    );
  });
}

/** Requests whose Authorization header cycles over many tokens (one per user session). */
function bearerRequests(tokens) {
  let next = 0;
  return [
    {
      method: 'GET',
      setupRequest(req) {
        const token = tokens[next++ % tokens.length];
        return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
      },
    },
  ];
}

/** Login bodies over distinct users, round robin. */
function loginRequests(emails, password) {
  let next = 0;
  return [
    {
      method: 'POST',
      setupRequest(req) {
        const email = emails[next++ % emails.length];
        return {
          ...req,
          headers: { ...req.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ email, password, client: 'native' }),
        };
      },
    },
  ];
}

/**
 * Refresh-token chains: a request takes a token from the free pool and its answer puts the
 * rotated one back. With pipelining 1 at most `connections` tokens are in flight, so a pool
 * larger than that never runs dry (a failed answer loses its chain: hence the spare tokens).
 */
function refreshRequests(pool) {
  return [
    {
      method: 'POST',
      setupRequest(req, context) {
        const token = pool.shift();
        if (!token) throw new Error('refresh token pool ran dry: too many failed refreshes');
        context.token = token;
        return {
          ...req,
          headers: { ...req.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: token }),
        };
      },
      onResponse(status, body) {
        if (status !== 200) return;
        try {
          const next = JSON.parse(body).refreshToken;
          if (typeof next === 'string') pool.push(next);
        } catch {
          // counted as a non-2xx or mismatch elsewhere
        }
      },
    },
  ];
}

module.exports = { cannon, bearerRequests, loginRequests, refreshRequests };
