import { describe, expect, it } from '@jest/globals';
import { addressWaitSeconds, loginDelaySeconds } from './login-backoff.js';

describe('login backoff', () => {
  it('lets the first failures through, then doubles the wait, capped', () => {
    expect([0, 4, 5, 6, 7, 10].map((n) => loginDelaySeconds(n))).toEqual([0, 0, 1, 2, 4, 32]);
    expect(loginDelaySeconds(100)).toBe(900);
  });

  it('makes an address wait what is left of its delay, and forgets it after a quiet while', () => {
    const settings = { freeFailures: 2, forgetAfterMs: 60_000 };
    expect(addressWaitSeconds(1, 0, settings)).toBe(0);
    expect(addressWaitSeconds(2, 0, settings)).toBe(1);
    expect(addressWaitSeconds(3, 500, settings)).toBe(2); // 2 s delay, 0.5 s gone: rounded up
    expect(addressWaitSeconds(3, 2000, settings)).toBe(0);
    expect(addressWaitSeconds(40, 59_000, settings)).toBe(841);
    expect(addressWaitSeconds(40, 60_001, settings)).toBe(0);
  });
});
