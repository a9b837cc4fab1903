import { describe, expect, it } from '@jest/globals';
import { checkedLogFilter, ceilToDate, floorToDate } from './log-filter.js';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('checkedLogFilter', () => {
  it('normalizes timestamps to nanoseconds in UTC', () => {
    expect(checkedLogFilter({ since: '2026-11-23T15:00:00.5+01:00', until: '2026-11-23T14:00:01Z' })).toEqual(
      {
        since: '2026-11-23T14:00:00.500000000Z',
        until: '2026-11-23T14:00:01.000000000Z',
      },
    );
  });

  it.each([
    [{ since: 'yesterday' }, 'invalid_timestamp'],
    [{ until: '2026-02-30T00:00:00Z' }, 'invalid_timestamp'],
    [{ since: '2026-11-23T14:00:01Z', until: '2026-11-23T14:00:00Z' }, 'invalid_time_range'],
    [{ after: 'not-a-cursor' }, 'invalid_cursor'],
    [{ tail: -1 }, 'invalid_tail'],
    [{ tail: 10_001 }, 'invalid_tail'],
  ])('refuses %j with %s', (filter, code) => {
    expect(codeOf(() => checkedLogFilter(filter))).toBe(code);
  });
});

describe('engine bounds', () => {
  it('rounds since down and until up to the millisecond, so the engine never cuts a wanted line', () => {
    expect(floorToDate('2026-11-23T14:00:00.123999999Z').toISOString()).toBe('2026-11-23T14:00:00.123Z');
    expect(ceilToDate('2026-11-23T14:00:00.123000001Z').toISOString()).toBe('2026-11-23T14:00:00.124Z');
    expect(ceilToDate('2026-11-23T14:00:00.123000000Z').toISOString()).toBe('2026-11-23T14:00:00.123Z');
  });
});
