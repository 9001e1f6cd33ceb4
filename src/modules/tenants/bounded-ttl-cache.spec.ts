import { BoundedTtlCache } from './bounded-ttl-cache';

describe('BoundedTtlCache', () => {
  it('should never hold more than maxEntries, however many keys are stored', () => {
    const sut = new BoundedTtlCache<string, true>(100, 60_000);
    for (let i = 0; i < 10_000; i++) sut.set(`made-up-${i}`, true, 0);
    expect(sut.size).toBe(100);
    expect(sut.get('made-up-9999', 1)).toBe(true);
    expect(sut.get('made-up-0', 1)).toBeUndefined();
  });

  it('should evict the least recently used entry first', () => {
    const sut = new BoundedTtlCache<string, number>(2, 60_000);
    sut.set('a', 1, 0);
    sut.set('b', 2, 0);
    expect(sut.get('a', 1)).toBe(1);
    sut.set('c', 3, 2);
    expect(sut.get('b', 3)).toBeUndefined();
    expect(sut.get('a', 3)).toBe(1);
    expect(sut.get('c', 3)).toBe(3);
  });

  it('should forget an entry once its ttl has passed, and free its slot', () => {
    const sut = new BoundedTtlCache<string, number>(10, 1_000);
    sut.set('a', 1, 5_000);
    expect(sut.get('a', 5_999)).toBe(1);
    expect(sut.get('a', 6_000)).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('should restart the ttl when a key is stored again', () => {
    const sut = new BoundedTtlCache<string, number>(10, 1_000);
    sut.set('a', 1, 0);
    sut.set('a', 2, 900);
    expect(sut.get('a', 1_500)).toBe(2);
  });

  it('should drop a deleted key', () => {
    const sut = new BoundedTtlCache<string, number>(10, 1_000);
    sut.set('a', 1, 0);
    sut.delete('a');
    expect(sut.get('a', 1)).toBeUndefined();
  });
});
