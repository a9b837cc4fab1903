import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ControlLoop } from './control-loop.js';

/** A DataSource whose query runners answer the lock statements as `lock` says, recording every statement. */
function fakeDatabase() {
  const statements: string[] = [];
  const lock = { granted: true, stillHeld: true };
  const runners: { isReleased: boolean }[] = [];
  const dataSource = {
    createQueryRunner: () => {
      const runner = {
        isReleased: false,
        connect: async () => undefined,
        release: async () => {
          runner.isReleased = true;
        },
        query: async (sql: string) => {
          statements.push(
            sql.includes('pg_try_advisory_lock') ? 'try' : sql.includes('pg_locks') ? 'check' : sql,
          );
          if (sql.includes('pg_try_advisory_lock')) return [{ held: lock.granted }];
          if (sql.includes('pg_locks')) return [{ held: lock.stillHeld }];
          return [];
        },
      };
      runners.push(runner);
      return runner;
    },
  } as unknown as DataSource;
  return { dataSource, statements, lock, runners };
}

describe('ControlLoop leadership', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('takes the lock once, then checks it every few seconds, not at every pass', async () => {
    const db = fakeDatabase();
    let passes = 0;
    const loop = new ControlLoop({
      name: 'test',
      lockKey: 7_399_999,
      intervalMs: 1000,
      dataSource: db.dataSource,
      work: async () => {
        passes += 1;
      },
    });
    loop.start();
    await jest.advanceTimersByTimeAsync(10_500);
    expect(passes).toBe(11); // at 0, 1 s, …, 10 s
    // The lock taken at the first pass, checked at 5 s and 10 s: 3 statements, not 11.
    expect(db.statements).toEqual(['try', 'check', 'check']);
    await loop.stop();
  });

  it('stops leading when the check finds the lock gone, and at once when its session failed', async () => {
    const db = fakeDatabase();
    let passes = 0;
    const loop = new ControlLoop({
      name: 'test',
      lockKey: 7_399_999,
      intervalMs: 1000,
      dataSource: db.dataSource,
      work: async () => {
        passes += 1;
      },
    });
    loop.start();
    await jest.advanceTimersByTimeAsync(1500);
    expect(passes).toBe(2);

    // The session failed (TypeORM releases the runner on a connection error): the next pass asks for the
    // lock again on a new session, and runs only if it gets it.
    db.lock.granted = false;
    db.runners[0].isReleased = true;
    await jest.advanceTimersByTimeAsync(1000);
    expect(passes).toBe(2);
    expect(db.runners).toHaveLength(2);
    expect(db.statements).toEqual(['try', 'try']);

    // Leading again, then the periodic check finds the lock no longer held: no pass until it is taken again.
    db.lock.granted = true;
    await jest.advanceTimersByTimeAsync(5000); // standby retry
    const leadingPasses = passes;
    expect(leadingPasses).toBeGreaterThan(2);
    db.lock.stillHeld = false;
    db.lock.granted = false;
    await jest.advanceTimersByTimeAsync(12_000);
    expect(db.statements).toContain('check');
    expect(passes).toBeLessThanOrEqual(leadingPasses + 5);
    const stoppedAt = passes;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(passes).toBe(stoppedAt);
    await loop.stop();
  });
});
