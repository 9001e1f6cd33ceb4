import { breachedPasswordConfig } from './breached-password.config';
import { isolateEnv } from '../../test/support/isolated-env';

describe('breachedPasswordConfig', () => {
  isolateEnv(['BREACHED_PASSWORD_CHECK', 'HIBP_RANGE_URL', 'HIBP_TIMEOUT_MS']);

  it('should block breached passwords against the public range API, waiting at most 1500 ms, by default', () => {
    expect(breachedPasswordConfig()).toEqual({
      mode: 'block',
      rangeUrl: 'https://api.pwnedpasswords.com/range/',
      timeoutMs: 1500,
    });
  });

  it('should add the trailing slash the prefix is appended after', () => {
    process.env.HIBP_RANGE_URL = 'http://127.0.0.1:8080/range';
    expect(breachedPasswordConfig().rangeUrl).toBe('http://127.0.0.1:8080/range/');
  });

  it.each([
    ['BREACHED_PASSWORD_CHECK', 'strict', /BREACHED_PASSWORD_CHECK must be one of off, warn, block/],
    ['HIBP_RANGE_URL', 'not a url', /HIBP_RANGE_URL must be a URL/],
    ['HIBP_RANGE_URL', 'ftp://example.com/range/', /HIBP_RANGE_URL must be an http\(s\) URL/],
    ['HIBP_RANGE_URL', 'https://example.com/range/?mode=x', /HIBP_RANGE_URL must not carry a query/],
    ['HIBP_TIMEOUT_MS', '0', /HIBP_TIMEOUT_MS must be between 1 and 60000/],
    ['HIBP_TIMEOUT_MS', 'soon', /HIBP_TIMEOUT_MS must be an integer/],
  ])('should refuse %s=%s, naming the variable', (name, value, message) => {
    process.env[name] = value;
    expect(() => breachedPasswordConfig()).toThrow(message);
  });
});
