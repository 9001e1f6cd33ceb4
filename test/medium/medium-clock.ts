import { Clock } from '../../src/common/clock/clock';

/**
 * The Clock a medium test provides in place of the real one: it stands still until the test
 * moves it, so TOTP steps, retention cutoffs and key lifetimes are decided at instants the test
 * chose. Time kept by PostgreSQL (`now()`) or Redis (TTLs) does not move with it.
 */
export class MediumClock extends Clock {
  private currentMs: number;

  constructor(start: Date | number = Date.now()) {
    super();
    this.currentMs = typeof start === 'number' ? start : start.getTime();
  }

  override now(): Date {
    return new Date(this.currentMs);
  }

  override nowMs(): number {
    return this.currentMs;
  }

  override nowSeconds(): number {
    return Math.floor(this.currentMs / 1000);
  }

  advance(ms: number): this {
    this.currentMs += ms;
    return this;
  }
}
