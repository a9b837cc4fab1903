import { describe, expect, it } from '@jest/globals';
import { AddressLoginBackoff, loginDelaySeconds } from './login-backoff.js';

describe('login backoff', () => {
  it('lets the first failures through, then doubles the wait, capped', () => {
    expect([0, 4, 5, 6, 7, 10].map((n) => loginDelaySeconds(n))).toEqual([0, 0, 1, 2, 4, 32]);
    expect(loginDelaySeconds(100)).toBe(900);
  });

  it('slows an address down after repeated failures and forgets it after success', () => {
    const backoff = new AddressLoginBackoff(2);
    const t0 = 1_000_000;
    backoff.recordFailure('10.0.0.1', t0);
    backoff.recordFailure('10.0.0.1', t0);
    expect(backoff.retryAfterSeconds('10.0.0.1', t0)).toBe(1);
    backoff.recordFailure('10.0.0.1', t0);
    expect(backoff.retryAfterSeconds('10.0.0.1', t0 + 500)).toBe(2);
    expect(backoff.retryAfterSeconds('10.0.0.2', t0)).toBe(0);
    backoff.recordSuccess('10.0.0.1');
    expect(backoff.retryAfterSeconds('10.0.0.1', t0)).toBe(0);
  });

  it('keeps memory bounded under a spray of addresses', () => {
    const backoff = new AddressLoginBackoff(1, 60_000, 100);
    for (let i = 0; i < 1000; i++) backoff.recordFailure(`a${i}`, 0);
    expect(backoff.retryAfterSeconds('a0', 0)).toBe(0);
    expect(backoff.retryAfterSeconds('a999', 0)).toBe(1);
  });
});
