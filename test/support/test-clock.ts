import { Clock } from '../../src/common/clock/clock';
import type { TestApp } from './test-app';

/** App clocks already taken over by a TestClock (one per app instance). */
const takenOver = new WeakMap<Clock, TestClock>();

/**
 * The one Clock tests move, instead of sleeping until the time comes. Two ways in:
 * - `TestClock.standingStill(start)`: provided as the Clock of a medium test; stands still at
 *   `start` until the test moves it, so every decision happens at an instant the test chose;
 * - `TestClock.of(app)`: takes over a running app's Clock; real time plus what the test moved it by.
 * Redis TTLs and PostgreSQL's now() are not moved: use it for what the service decides by Clock
 * (TOTP steps, grace windows, token ages, step-up windows, retention cutoffs).
 */
export class TestClock extends Clock {
  private offsetMs = 0;

  private constructor(private readonly stillAtMs?: number) {
    super();
  }

  static standingStill(start: Date | number = Date.now()): TestClock {
    return new TestClock(typeof start === 'number' ? start : start.getTime());
  }

  static of(app: TestApp): TestClock {
    const clock = app.app.get(Clock);
    if (clock instanceof TestClock) return clock;
    let testClock = takenOver.get(clock);
    if (!testClock) {
      const moved = (testClock = new TestClock());
      clock.nowMs = () => moved.nowMs();
      clock.now = () => moved.now();
      clock.nowSeconds = () => moved.nowSeconds();
      takenOver.set(clock, moved);
    }
    return testClock;
  }

  override nowMs(): number {
    return (this.stillAtMs ?? Date.now()) + this.offsetMs;
  }

  override now(): Date {
    return new Date(this.nowMs());
  }

  override nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(ms: number): this {
    this.offsetMs += ms;
    return this;
  }

  /** Back to where it started (real time, or the instant it stood still at). */
  reset(): this {
    this.offsetMs = 0;
    return this;
  }
}
