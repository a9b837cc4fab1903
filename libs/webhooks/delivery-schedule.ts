export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** A delivery is retried until this long after its event, then `failed`. */
  giveUpMs: number;
}

/**
 * After failed attempt number `attempts` (1 = the first), when to try again: base doubling per attempt,
 * capped at max; null once that time is past the event's give-up time (the delivery is `failed`).
 */
export function nextAttemptAt(input: {
  policy: RetryPolicy;
  attempts: number;
  eventCreatedAt: Date;
  now: Date;
}): Date | null {
  const { policy } = input;
  const exponent = Math.min(Math.max(input.attempts - 1, 0), 40);
  const delayMs = Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
  const next = new Date(input.now.getTime() + delayMs);
  return next.getTime() > input.eventCreatedAt.getTime() + policy.giveUpMs ? null : next;
}
