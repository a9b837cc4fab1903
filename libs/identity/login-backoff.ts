/**
 * After `freeFailures` consecutive failures, each further failure doubles the wait before the next
 * attempt is heard, up to `maxSeconds`: a guessing attack slows to a crawl, a typo costs nothing.
 */
export function loginDelaySeconds(failures: number, freeFailures = 5, maxSeconds = 900): number {
  if (failures < freeFailures) return 0;
  return Math.min(maxSeconds, 2 ** (failures - freeFailures));
}

interface AddressState {
  failures: number;
  lastFailureMs: number;
}

/**
 * Failed logins per client address, in memory. Per-account state lives in the users table (it must
 * survive restarts and be shared by api replicas); per-address state is cheap to lose.
 */
export class AddressLoginBackoff {
  private readonly state = new Map<string, AddressState>();

  constructor(
    private readonly freeFailures = 10,
    private readonly forgetAfterMs = 15 * 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  /** Seconds the address must still wait, 0 when it may try. */
  retryAfterSeconds(address: string, nowMs = Date.now()): number {
    const entry = this.state.get(address);
    if (!entry) return 0;
    if (nowMs - entry.lastFailureMs > this.forgetAfterMs) {
      this.state.delete(address);
      return 0;
    }
    const waitMs =
      loginDelaySeconds(entry.failures, this.freeFailures) * 1000 - (nowMs - entry.lastFailureMs);
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  recordFailure(address: string, nowMs = Date.now()): void {
    const entry = this.state.get(address) ?? { failures: 0, lastFailureMs: nowMs };
    entry.failures += 1;
    entry.lastFailureMs = nowMs;
    this.state.delete(address);
    this.state.set(address, entry);
    // Bounded memory under a spray from many addresses: forget the oldest (Map keeps insertion order).
    if (this.state.size > this.maxEntries) this.state.delete(this.state.keys().next().value as string);
  }

  recordSuccess(address: string): void {
    this.state.delete(address);
  }
}
