import { describe, expect, it } from '@jest/globals';
import { accountWaitSeconds, decayedFailures } from './account-login-backoff.js';

describe('account login backoff', () => {
  it('forgives one failure per decay period, so a count never sticks', () => {
    expect(decayedFailures(15, 0, 60_000)).toBe(15);
    expect(decayedFailures(15, 5 * 60_000, 60_000)).toBe(10);
    expect(decayedFailures(15, 60 * 60_000, 60_000)).toBe(0);
  });

  it('waits what is left of the delay its count reached, capped', () => {
    const settings = { freeFailures: 5, maxWaitSeconds: 900 };
    expect(accountWaitSeconds(4, 0, settings)).toBe(0);
    expect(accountWaitSeconds(5, 0, settings)).toBe(1);
    expect(accountWaitSeconds(7.6, 1500, settings)).toBe(3); // 4 s delay, 1.5 s gone: rounded up
    expect(accountWaitSeconds(200, 0, settings)).toBe(900);
    expect(accountWaitSeconds(200, 900_001, settings)).toBe(0);
  });
});
