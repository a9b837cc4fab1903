import { describe, expect, it } from '@jest/globals';
import { nextAttemptAt } from './delivery-schedule.js';

const policy = { baseMs: 30_000, maxMs: 3_600_000, giveUpMs: 24 * 3_600_000 };
const eventCreatedAt = new Date('2026-12-05T00:00:00Z');
const delayAfter = (attempts: number, now = eventCreatedAt) =>
  (nextAttemptAt({ policy, attempts, eventCreatedAt, now })?.getTime() ?? NaN) - now.getTime();

describe('delivery retry schedule', () => {
  it('starts at the base and doubles per failed attempt', () => {
    expect([1, 2, 3, 4, 5].map((attempts) => delayAfter(attempts))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000,
    ]);
  });

  it('is capped at the maximum, however many attempts failed', () => {
    expect(delayAfter(8)).toBe(3_600_000);
    expect(delayAfter(500)).toBe(3_600_000);
  });

  it('gives up (null) once the next try would be past 24 h after the event', () => {
    const late = new Date(eventCreatedAt.getTime() + 23.5 * 3_600_000);
    expect(nextAttemptAt({ policy, attempts: 20, eventCreatedAt, now: late })).toBeNull();
    expect(delayAfter(1, late)).toBe(30_000);
  });
});
