import { isCsrfTokenValid, newCsrfToken, pageCsp, safeReturnTo } from './page-security';

describe('safeReturnTo', () => {
  const own = 'http://127.0.0.1:3000';
  const allowed = ['https://app.example.com'];

  it('should follow an allowed origin', () => {
    expect(safeReturnTo('https://app.example.com/home?x=1', own, allowed)).toBe('https://app.example.com/home?x=1');
  });

  it("should keep the service's own paths relative", () => {
    expect(safeReturnTo('/account', own, allowed)).toBe('/account');
    expect(safeReturnTo('http://127.0.0.1:3000/account?a=b', own, allowed)).toBe('/account?a=b');
  });

  it('should ignore a foreign origin, a scheme-relative URL and a script URL', () => {
    expect(safeReturnTo('https://evil.example.net/', own, allowed)).toBeUndefined();
    expect(safeReturnTo('//evil.example.net/x', own, allowed)).toBeUndefined();
    expect(safeReturnTo('javascript:alert(1)', own, allowed)).toBeUndefined();
    expect(safeReturnTo('https://app.example.com.evil.net/', own, allowed)).toBeUndefined();
    expect(safeReturnTo('/\\evil.example.net/x', own, allowed)).toBeUndefined();
    expect(safeReturnTo('http://127.0.0.1:3000//evil.example.net/x', own, allowed)).toBeUndefined();
  });
});

describe('CSRF token', () => {
  it('should accept only the cookie value itself', () => {
    const token = newCsrfToken();
    expect(isCsrfTokenValid(token, token)).toBe(true);
    expect(isCsrfTokenValid(token, newCsrfToken())).toBe(false);
    expect(isCsrfTokenValid(undefined, token)).toBe(false);
    expect(isCsrfTokenValid(token, undefined)).toBe(false);
  });
});

describe('pageCsp', () => {
  it('should carry the nonce and forbid framing', () => {
    expect(pageCsp('abc')).toContain("script-src 'nonce-abc' 'strict-dynamic'");
    expect(pageCsp('abc')).toContain("frame-ancestors 'none'");
  });
});
