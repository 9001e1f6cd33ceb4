import { allowedOriginsFor, isCrossSiteRequestAllowed } from './csrf';

const allowed = ['http://localhost:3000', 'https://app.example.com'];

describe('CSRF origin check', () => {
  it('should let safe methods through whatever their origin', () => {
    expect(isCrossSiteRequestAllowed('GET', { origin: 'https://evil.example' }, allowed)).toBe(true);
    expect(isCrossSiteRequestAllowed('HEAD', {}, allowed)).toBe(true);
  });

  it.each(['POST', 'PATCH', 'PUT', 'DELETE', 'post'])('should check %s', (method) => {
    expect(isCrossSiteRequestAllowed(method, { origin: 'https://app.example.com' }, allowed)).toBe(true);
    expect(isCrossSiteRequestAllowed(method, { origin: 'https://evil.example' }, allowed)).toBe(false);
  });

  it('should fall back to the Referer origin only when Origin is absent', () => {
    expect(isCrossSiteRequestAllowed('POST', { referer: 'http://localhost:3000/account?x=1' }, allowed)).toBe(true);
    expect(isCrossSiteRequestAllowed('POST', { referer: 'https://evil.example/http://localhost:3000' }, allowed)).toBe(
      false,
    );
    expect(
      isCrossSiteRequestAllowed('POST', { origin: 'https://evil.example', referer: 'http://localhost:3000/' }, allowed),
    ).toBe(false);
  });

  it('should refuse look-alike origins, opaque origins and requests that name none', () => {
    for (const origin of [
      'http://localhost:3000.evil.example',
      'http://localhost:30001',
      'https://localhost:3000',
      'http://app.example.com',
      'null',
      'not a url',
    ]) {
      expect(isCrossSiteRequestAllowed('POST', { origin }, allowed)).toBe(false);
    }
    expect(isCrossSiteRequestAllowed('DELETE', {}, allowed)).toBe(false);
  });

  it('should ignore repeated headers instead of picking one', () => {
    expect(
      isCrossSiteRequestAllowed('POST', { origin: ['http://localhost:3000', 'https://evil.example'] }, allowed),
    ).toBe(false);
  });
});

describe('allowedOriginsFor', () => {
  const request = { protocol: 'http', host: '192.168.1.20:3000' };

  it("should allow the service's own origin beside CORS_ORIGINS: PUBLIC_BASE_URL, else where the request went", () => {
    expect(allowedOriginsFor(request, { corsOrigins: ['https://app.example.com'] })).toEqual([
      'http://192.168.1.20:3000',
      'https://app.example.com',
    ]);
    expect(allowedOriginsFor(request, { corsOrigins: [], publicBaseUrl: 'https://auth.example.com' })).toEqual([
      'https://auth.example.com',
    ]);
  });

  it('should still refuse a foreign page posting to the service with its cookies', () => {
    const allowed = allowedOriginsFor(request, { corsOrigins: [] });
    expect(isCrossSiteRequestAllowed('POST', { origin: 'http://192.168.1.20:3000' }, allowed)).toBe(true);
    expect(isCrossSiteRequestAllowed('POST', { origin: 'https://evil.example' }, allowed)).toBe(false);
  });
});
