import { randomUUID } from 'node:crypto';
import { hashRefreshToken, newRefreshToken, parseRefreshToken } from './session-token';

describe('refresh token format', () => {
  it('should carry the session id and 256 random bits, and be stored only as its SHA-256', () => {
    const sessionId = randomUUID();
    const sut = newRefreshToken(sessionId);
    expect(sut.token).toMatch(new RegExp(`^${sessionId}\\.[A-Za-z0-9_-]{43}$`));
    expect(sut.hash).toBe(hashRefreshToken(sut.token));
    expect(sut.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parseRefreshToken(sut.token)).toEqual({ sessionId, hash: sut.hash });
  });

  it('should never give two equal tokens', () => {
    const sessionId = randomUUID();
    expect(newRefreshToken(sessionId).token).not.toBe(newRefreshToken(sessionId).token);
  });

  it.each([
    '',
    'garbage',
    `${randomUUID()}.short`,
    `not-a-uuid.${'A'.repeat(43)}`,
    `${randomUUID()}.${'A'.repeat(44)}`,
  ])('should refuse malformed token %#', (token) => {
    expect(parseRefreshToken(token)).toBeNull();
  });
});
