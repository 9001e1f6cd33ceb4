export interface BackoffInput {
  /** Attempts finished so far (1 after the first failure). */
  attemptsMade: number;
  /** Total attempts allowed (DELIVERY_ATTEMPTS). */
  maxAttempts: number;
  /** DELIVERY_BACKOFF_MS: the first delay before jitter. */
  baseMs: number;
  /** Milliseconds until the code expires; undefined when unknown. */
  remainingMs?: number;
  /** [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random), capped so that every
 * remaining attempt still fits inside the code's lifetime: a retry that can only deliver
 * an expired code is worthless, so the spacing shrinks as the deadline nears.
 */
export function deliveryBackoffMs({
  attemptsMade,
  maxAttempts,
  baseMs,
  remainingMs,
  random = Math.random,
}: BackoffInput): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const exponential = baseMs * 2 ** Math.min(exponent, 30);
  let delay = exponential / 2 + random() * (exponential / 2);
  if (remainingMs !== undefined) {
    const attemptsLeft = Math.max(1, maxAttempts - attemptsMade);
    delay = Math.min(delay, Math.max(0, remainingMs) / attemptsLeft);
  }
  return Math.max(0, Math.floor(delay));
}
