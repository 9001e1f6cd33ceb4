import { type KeyObject, randomUUID, sign } from 'node:crypto';
import type { Role } from '../users/user.entity';
import { SIGNING_ALGORITHM } from './signing-key.entity';

/** API.md access-token claims. */
export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  sid: string;
  tid: string;
  roles: Role[];
  amr: string[];
  aal: 1 | 2;
  auth_time: number;
  iat: number;
  exp: number;
  nbf?: number;
  jti: string;
}

export interface AccessTokenHeader {
  alg: string;
  typ?: string;
  kid: string;
}

export type TokenFailure = 'malformed' | 'algorithm' | 'header' | 'unknown_kid' | 'signature' | 'claims' | 'expired';

export class TokenRejected extends Error {
  constructor(readonly reason: TokenFailure) {
    super(`access token rejected: ${reason}`);
  }
}

/** Seconds of clock difference between processes that we tolerate on exp and nbf. */
export const CLOCK_SKEW_SECONDS = 5;

/** Headers that would let the token choose its own verification key: never honoured, always refused. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256', 'crit'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ES256_SIGNATURE_BYTES = 64;
const MAX_TOKEN_LENGTH = 4096;

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signAccessToken(
  claims: Omit<AccessTokenClaims, 'jti'> & { jti?: string },
  key: { kid: string; privateKey: KeyObject },
): string {
  const header: AccessTokenHeader = { alg: SIGNING_ALGORITHM, typ: 'JWT', kid: key.kid };
  const input = `${encode(header)}.${encode({ ...claims, jti: claims.jti ?? randomUUID() })}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

export interface DecodedToken {
  header: AccessTokenHeader;
  payload: Record<string, unknown>;
}

function parseJsonPart(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRejected('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenRejected('malformed');
  return value as Record<string, unknown>;
}

/**
 * Splits and checks the header without trusting anything in it beyond `kid` as a lookup key:
 * what passport-jwt's key provider runs before any signature is looked at.
 */
export function decodeAccessToken(token: string): DecodedToken {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('malformed');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) throw new TokenRejected('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJsonPart(headerPart);
  if (header.alg !== SIGNING_ALGORITHM) throw new TokenRejected('algorithm');
  if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new TokenRejected('header');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new TokenRejected('header');
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 64) {
    throw new TokenRejected('header');
  }
  if (Buffer.from(signaturePart, 'base64url').length !== ES256_SIGNATURE_BYTES) throw new TokenRejected('signature');
  return { header: header as unknown as AccessTokenHeader, payload: parseJsonPart(payloadPart) };
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The claims a session needs, and the token's lifetime by the service's clock. Runs on a
 * payload whose signature, issuer and audience passport-jwt has already verified.
 */
export function checkSessionClaims(payload: Record<string, unknown>, nowSeconds: number): AccessTokenClaims {
  const { sub, sid, tid, exp, nbf, iat, roles, amr, aal, auth_time, jti } = payload;
  if (!isString(sub) || !isString(sid) || !isString(tid) || !isString(jti) || !isTime(exp) || !isTime(iat)) {
    throw new TokenRejected('claims');
  }
  if (nbf !== undefined && (!isTime(nbf) || nbf > nowSeconds + CLOCK_SKEW_SECONDS)) {
    throw new TokenRejected('claims');
  }
  if (!Array.isArray(roles) || !Array.isArray(amr) || (aal !== 1 && aal !== 2) || !isTime(auth_time)) {
    throw new TokenRejected('claims');
  }
  if (exp + CLOCK_SKEW_SECONDS <= nowSeconds) throw new TokenRejected('expired');
  return payload as unknown as AccessTokenClaims;
}
