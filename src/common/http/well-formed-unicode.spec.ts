import { illFormedStringPath, isWellFormedUnicode } from './well-formed-unicode';

describe('well-formed Unicode', () => {
  it.each(['', 'ada@example.com', 'Ädä', '🦄', '𝒜da', '\uD83D\uDE00 smile', '\u0000', '\uFFFD', '\uE000'])(
    'should accept %j',
    (text) => {
      expect(isWellFormedUnicode(text)).toBe(true);
    },
  );

  it.each(['\uD800', '\uDFFF', 'a\uD83D', '\uDE00a', '\uDE00\uD83D', '\uD800\uD800', 'ok \uDBFF end'])(
    'should refuse %j',
    (text) => {
      expect(isWellFormedUnicode(text)).toBe(false);
    },
  );

  it('should find the first ill-formed string of a body, nested fields, array items and keys included', () => {
    expect(illFormedStringPath({ email: 'a@example.com', device: { name: 'Phone' } })).toBeUndefined();
    expect(illFormedStringPath('\uD800')).toBe('');
    expect(illFormedStringPath({ email: '\uD800' })).toBe('email');
    expect(illFormedStringPath({ device: { name: 'x\uDC00' } })).toBe('device.name');
    expect(illFormedStringPath({ codes: ['ok', '\uD800'] })).toBe('codes.1');
    expect(illFormedStringPath({ '\uD800': 1 })).toBe('\uFFFD');
    expect(illFormedStringPath({ a: 1, b: null, c: true })).toBeUndefined();
  });
});
