import { securityHeaders } from './security-headers';

describe('securityHeaders', () => {
  it('should upgrade insecure requests in production only', () => {
    expect(securityHeaders(true)['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(securityHeaders(false)['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('should keep every other header the same in both', () => {
    const { 'content-security-policy': _production, ...production } = securityHeaders(true);
    const { 'content-security-policy': _development, ...development } = securityHeaders(false);
    expect(development).toEqual(production);
    expect(production['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});
