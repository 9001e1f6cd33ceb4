import type { AccessTokenClaims } from './access-token';
import { VerifiedTokenCache } from './verified-token-cache';

const claims = (exp: number) => ({ exp }) as AccessTokenClaims;

describe('VerifiedTokenCache', () => {
  it('should return a remembered token until its exp, then forget it', () => {
    const sut = new VerifiedTokenCache();
    sut.set('t', claims(100), 50);
    expect(sut.get('t', 99)).toEqual(claims(100));
    expect(sut.get('t', 100)).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('should not remember an already expired token', () => {
    const sut = new VerifiedTokenCache();
    sut.set('t', claims(10), 10);
    expect(sut.size).toBe(0);
  });

  it('should key by the exact token string', () => {
    const sut = new VerifiedTokenCache();
    sut.set('token', claims(100), 0);
    expect(sut.get('token ', 0)).toBeUndefined();
    expect(sut.get('Token', 0)).toBeUndefined();
  });

  it('should stay bounded, dropping the least recently used first', () => {
    const sut = new VerifiedTokenCache(2);
    sut.set('a', claims(100), 0);
    sut.set('b', claims(100), 0);
    sut.get('a', 0);
    sut.set('c', claims(100), 0);
    expect(sut.size).toBe(2);
    expect(sut.get('b', 0)).toBeUndefined();
    expect(sut.get('a', 0)).toBeDefined();
    expect(sut.get('c', 0)).toBeDefined();
  });
});
