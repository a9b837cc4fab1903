import { describe, expect, it } from '@jest/globals';
import { renewalAt, retryAt } from './acme-schedule.js';

const now = new Date('2026-12-05T12:00:00.000Z');

describe('retryAt', () => {
  it('doubles the delay after each failure, from the base', () => {
    const at = (failures: number) => retryAt(failures, { now, baseMs: 1000, maxAttempts: 5 });
    expect(at(1)?.getTime()).toBe(now.getTime() + 1000);
    expect(at(2)?.getTime()).toBe(now.getTime() + 2000);
    expect(at(4)?.getTime()).toBe(now.getTime() + 8000);
  });

  it('gives up once maxAttempts failed', () => {
    expect(retryAt(5, { now, baseMs: 1000, maxAttempts: 5 })).toBeNull();
    expect(retryAt(1, { now, baseMs: 1000, maxAttempts: 1 })).toBeNull();
  });

  it('never waits more than an hour', () => {
    const at = retryAt(30, { now, baseMs: 60_000, maxAttempts: 100 });
    expect(at?.getTime()).toBe(now.getTime() + 3_600_000);
  });
});

describe('renewalAt', () => {
  it('is renewBeforeDays before the end of validity', () => {
    expect(renewalAt(new Date('2027-03-01T00:00:00.000Z'), 30).toISOString()).toBe(
      '2027-01-30T00:00:00.000Z',
    );
  });
});
