import { canonicalEmail } from './canonical-email';

describe('canonicalEmail', () => {
  it.each([
    ['ada@example.com', 'ada@example.com'],
    ['Ada@EXAMPLE.com', 'ada@example.com'],
    ['  ada@example.com ', 'ada@example.com'],
    ['ada@exämple.com', 'ada@xn--exmple-cua.com'],
    ['ADA@EXÄMPLE.COM', 'ada@xn--exmple-cua.com'],
    ['ada@exa\u0308mple.com', 'ada@xn--exmple-cua.com'],
    ['ada@\uff45x\u00e4mple.com', 'ada@xn--exmple-cua.com'],
    ['ada@XN--EXMPLE-CUA.COM', 'ada@xn--exmple-cua.com'],
    ['ada+tag@example.com', 'ada+tag@example.com'],
    ['Ädä@example.com', 'ädä@example.com'],
    ['a\u0308da@example.com', 'äda@example.com'],
  ])('should spell %j as %j', (input, canonical) => {
    expect(canonicalEmail(input)).toBe(canonical);
    expect(canonicalEmail(canonical)).toBe(canonical);
  });

  it.each([
    '"ada"@example.com',
    '"ada smith"@example.com',
    'a\\b@example.com',
    'ada@example.com\r\n',
    'ada@example.com\r\nBcc: victim@example.com',
    '\tada@example.com',
    'ada\u0000@example.com',
    'ada@example.com\u0085',
    'ada@exa\u007fmple.com',
    '\uD800',
    'ada\uD83D@example.com',
    'ada@exa\uDBFFmple.com',
    'ada@',
    '@example.com',
    'ada',
    'ada@[127.0.0.1]',
    'ada@localhost',
    'ada@exa mple.com',
    'ada@xn--zz.com',
    `${'a'.repeat(65)}@example.com`,
    `ada@${'b'.repeat(320)}.com`,
  ])('should refuse %j', (input) => {
    expect(canonicalEmail(input)).toBeUndefined();
  });
});
