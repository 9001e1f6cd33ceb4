import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Recent durations of a real operation (send a code, create an account), so that a pretend
 * one, answered for an identifier without an account, takes as long. The pretend waits for
 * a duration drawn from the recent real ones, not for their mean: the whole distribution
 * matches (a rank test over hundreds of requests cannot tell them apart), and it follows the
 * machine's load as the real one does.
 */
export class DurationSample {
  private readonly values: number[] = [];
  private next = 0;
  /** How late timers fire here on average: subtracted from the wait so the pretend is not slower by it. */
  private timerLatenessMs = 0;

  constructor(
    private readonly fallbackMs: number,
    private readonly size = 64,
  ) {}

  /** A start mark for `record` and `waitLikeFrom` (monotonic, unlike the wall clock). */
  static start(): number {
    return performance.now();
  }

  /** Adds the duration of a real operation that began at `startedAt`. */
  record(startedAt: number): void {
    const duration = performance.now() - startedAt;
    if (this.values.length < this.size) this.values.push(duration);
    else this.values[this.next] = duration;
    this.next = (this.next + 1) % this.size;
  }

  /** Resolves once a duration drawn from the sample has passed since `startedAt`. */
  async waitLikeFrom(startedAt: number): Promise<void> {
    const target = this.values.length > 0 ? this.values[randomInt(this.values.length)] : this.fallbackMs;
    const remaining = target - (performance.now() - startedAt) - this.timerLatenessMs;
    if (remaining <= 0) return;
    const before = performance.now();
    await sleep(remaining);
    const lateness = performance.now() - before - remaining;
    this.timerLatenessMs = Math.max(0, this.timerLatenessMs * 0.9 + lateness * 0.1);
  }
}
