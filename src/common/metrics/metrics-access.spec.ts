import { publicScrapeVerdict } from './metrics-access';

describe('publicScrapeVerdict', () => {
  const token = 'a-metrics-token-of-at-least-32-characters';

  it('should hide /metrics when no token is configured, whatever the caller sends', () => {
    expect(publicScrapeVerdict(undefined, undefined)).toBe('not_found');
    expect(publicScrapeVerdict(undefined, `Bearer ${token}`)).toBe('not_found');
  });

  it('should allow only the exact token as a Bearer credential', () => {
    expect(publicScrapeVerdict(token, `Bearer ${token}`)).toBe('allowed');
    expect(publicScrapeVerdict(token, `bearer ${token}`)).toBe('allowed');
    for (const authorization of [
      undefined,
      '',
      token,
      `Basic ${token}`,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token.toUpperCase()}`,
      `Bearer  ${token}`,
      `Bearer ${token} `,
    ]) {
      expect({ authorization, verdict: publicScrapeVerdict(token, authorization) }).toEqual({
        authorization,
        verdict: 'unauthorized',
      });
    }
  });
});
