import { deliveryBackoffMs } from './delivery-backoff';

describe('deliveryBackoffMs', () => {
  const sut = deliveryBackoffMs;

  it('should grow exponentially from the base delay', () => {
    const fixed = (attemptsMade: number) => sut({ attemptsMade, maxAttempts: 10, baseMs: 1000, random: () => 1 });
    expect([1, 2, 3, 4].map(fixed)).toEqual([1000, 2000, 4000, 8000]);
  });

  it('should add jitter between half and the whole exponential delay', () => {
    expect(sut({ attemptsMade: 3, maxAttempts: 10, baseMs: 1000, random: () => 0 })).toBe(2000);
    expect(sut({ attemptsMade: 3, maxAttempts: 10, baseMs: 1000, random: () => 0.5 })).toBe(3000);
    const samples = new Set(Array.from({ length: 50 }, () => sut({ attemptsMade: 2, maxAttempts: 5, baseMs: 1000 })));
    expect(samples.size).toBeGreaterThan(1);
    for (const delay of samples) expect(delay).toBeGreaterThanOrEqual(1000);
  });

  it('should fit every remaining attempt inside the code lifetime', () => {
    // 4 attempts left, 6 s left: no delay may exceed 1.5 s, whatever the exponent says.
    const delay = sut({ attemptsMade: 1, maxAttempts: 5, baseMs: 60_000, remainingMs: 6000, random: () => 1 });
    expect(delay).toBe(1500);
    let remaining = 10_000;
    for (let attemptsMade = 1; attemptsMade < 5; attemptsMade++) {
      remaining -= sut({ attemptsMade, maxAttempts: 5, baseMs: 5000, remainingMs: remaining, random: () => 1 });
    }
    expect(remaining).toBeGreaterThanOrEqual(0);
  });

  it('should retry at once when the code is already expired (the worker then marks the message expired)', () => {
    expect(sut({ attemptsMade: 2, maxAttempts: 5, baseMs: 1000, remainingMs: -50 })).toBe(0);
  });

  it('should not overflow for absurd attempt counts', () => {
    expect(Number.isFinite(sut({ attemptsMade: 500, maxAttempts: 1000, baseMs: 1000, random: () => 1 }))).toBe(true);
  });
});
