/** When the ACME loop tries a domain again: pure functions of the attempt count and the clock. */

const MAX_RETRY_DELAY_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * After the `failures`-th failure in a row: the next attempt's time, or null once `maxAttempts` failed
 * (the domain stays `failed` until the tenant asks again). The delay doubles from `baseMs`, capped at an
 * hour.
 */
export function retryAt(
  failures: number,
  options: { now: Date; baseMs: number; maxAttempts: number },
): Date | null {
  if (failures >= options.maxAttempts) return null;
  const delay = Math.min(options.baseMs * 2 ** Math.max(0, failures - 1), MAX_RETRY_DELAY_MS);
  return new Date(options.now.getTime() + delay);
}

/** When an issued certificate valid until `notAfter` is renewed: `renewBeforeDays` ahead of it. */
export function renewalAt(notAfter: Date, renewBeforeDays: number): Date {
  return new Date(notAfter.getTime() - renewBeforeDays * DAY_MS);
}
