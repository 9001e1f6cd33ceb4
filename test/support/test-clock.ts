import { Clock } from '../../src/common/clock/clock';
import type { TestApp } from './test-app';

const clocks = new WeakMap<Clock, TestClock>();

/**
 * The app's injected Clock, movable by the test: every service that asks the Clock for the time
 * gets real time plus the offset set here. Moving it replaces sleeping until the time comes.
 * Redis TTLs and PostgreSQL's now() are not moved: use it for what the service decides by Clock
 * (TOTP steps, grace windows, token ages).
 */
export class TestClock {
  private offsetMs = 0;

  private constructor(clock: Clock) {
    clock.nowMs = () => Date.now() + this.offsetMs;
    clock.now = () => new Date(clock.nowMs());
    clock.nowSeconds = () => Math.floor(clock.nowMs() / 1000);
  }

  /** The app's clock, taken over on first use (one per app instance). */
  static of(app: TestApp): TestClock {
    const clock = app.app.get(Clock);
    let testClock = clocks.get(clock);
    if (!testClock) clocks.set(clock, (testClock = new TestClock(clock)));
    return testClock;
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
