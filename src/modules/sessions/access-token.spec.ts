import { generateKeyPairSync, sign } from 'node:crypto';
import {
  type AccessTokenClaims,
  checkSessionClaims,
  CLOCK_SKEW_SECONDS,
  decodeAccessToken,
  signAccessToken,
  TokenRejected,
} from './access-token';

// Signature, issuer and audience are passport-jwt's part: test/e2e/jwt-attacks.e2e-spec.ts attacks them.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = { kid: 'k1', privateKey };
const NOW = 1_800_000_000;
const claims: Omit<AccessTokenClaims, 'jti'> = {
  iss: 'iss',
  aud: 'aud',
  sub: 'user',
  sid: 'session',
  tid: 'default',
  roles: ['user'],
  amr: ['pwd'],
  aal: 1,
  auth_time: NOW,
  iat: NOW,
  exp: NOW + 900,
};
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function reason(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof TokenRejected ? error.reason : String(error);
  }
}

describe('access token format', () => {
  it('should sign a compact ES256 JWT with alg, typ and kid in the header and a 64-byte signature', () => {
    const sut = signAccessToken(claims, key);
    const [header, payload, signature] = sut.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      ...claims,
      jti: expect.any(String),
    });
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
  });

  it('should decode its own tokens and accept their claims', () => {
    const sut = decodeAccessToken(signAccessToken(claims, key));
    expect(sut.header.kid).toBe('k1');
    expect(checkSessionClaims(sut.payload, NOW)).toMatchObject(claims);
  });

  it('should give a fresh jti to every token', () => {
    const jti = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti;
    expect(jti(signAccessToken(claims, key))).not.toBe(jti(signAccessToken(claims, key)));
  });

  it('should refuse anything but ES256, before looking at the signature', () => {
    for (const alg of ['none', 'HS256', 'RS256', 'ES384', 'es256']) {
      expect(reason(() => decodeAccessToken(`${b64({ alg, kid: 'k1' })}.${b64(claims)}.sig`))).toBe('algorithm');
    }
  });

  it('should refuse key-carrying and critical headers', () => {
    for (const extra of [{ jku: 'x' }, { x5u: 'x' }, { jwk: {} }, { x5c: [] }, { crit: ['exp'] }]) {
      const token = signAccessToken(claims, key).split('.');
      token[0] = b64({ alg: 'ES256', typ: 'JWT', kid: 'k1', ...extra });
      expect(reason(() => decodeAccessToken(token.join('.')))).toBe('header');
    }
  });

  it('should refuse malformed tokens', () => {
    for (const token of ['', 'a', 'a.b', 'a.b.c.d', 'a.b.c', '!!.!!.!!', 'x'.repeat(5000)]) {
      expect(reason(() => decodeAccessToken(token))).toBeDefined();
    }
  });

  it('should refuse a DER signature (only IEEE P1363 is JOSE)', () => {
    const input = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}`;
    const der = sign('sha256', Buffer.from(input), privateKey).toString('base64url');
    expect(reason(() => decodeAccessToken(`${input}.${der}`))).toBe('signature');
  });

  it.each([
    ['missing sid', { sid: undefined }, 'claims'],
    ['missing sub', { sub: undefined }, 'claims'],
    ['missing tid', { tid: undefined }, 'claims'],
    ['future nbf', { nbf: NOW + 60 }, 'claims'],
    ['past exp', { exp: NOW - CLOCK_SKEW_SECONDS }, 'expired'],
  ])('should refuse a bad %s', (_name, override, expected) => {
    const token = signAccessToken({ ...claims, ...override } as AccessTokenClaims, key);
    expect(reason(() => checkSessionClaims(decodeAccessToken(token).payload, NOW))).toBe(expected);
  });

  it('should tolerate a few seconds of clock skew on exp and nbf', () => {
    const token = signAccessToken({ ...claims, exp: NOW - 1, nbf: NOW + 1 }, key);
    expect(() => checkSessionClaims(decodeAccessToken(token).payload, NOW)).not.toThrow();
  });
});
