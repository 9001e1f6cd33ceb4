import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens: `<sessionId>.<256 random bits, base64url>`. The session id lets a lookup
 * go by primary key; only the SHA-256 of the whole token is ever stored.
 */
const REFRESH_TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedRefreshToken {
  sessionId: string;
  hash: string;
}

export function newRefreshToken(sessionId: string): { token: string; hash: string } {
  const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function parseRefreshToken(token: string): ParsedRefreshToken | null {
  const match = REFRESH_TOKEN.exec(token);
  if (!match?.[1]) return null;
  return { sessionId: match[1], hash: hashRefreshToken(token) };
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
