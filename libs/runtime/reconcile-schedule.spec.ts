import { describe, expect, it } from '@jest/globals';
import { nextLook, ReconcileSchedule } from './reconcile-schedule.js';

describe('ReconcileSchedule', () => {
  const t0 = Date.parse('2026-12-05T10:00:00Z');

  it('starts with a full pass, then another every resync period', () => {
    const schedule = new ReconcileSchedule(30_000);
    expect(schedule.take(t0)).toEqual({ kind: 'full' });
    expect(schedule.take(t0 + 1000)).toEqual({ kind: 'apps', appIds: [] });
    expect(schedule.msUntilNextDue(t0 + 1000)).toBe(29_000);
    expect(schedule.take(t0 + 30_000)).toEqual({ kind: 'full' });
  });

  it('hands out the apps due now, once, and keeps those due later', () => {
    const schedule = new ReconcileSchedule(30_000);
    schedule.take(t0);
    schedule.mark('a', t0 + 10);
    schedule.mark('b', t0 + 8000);
    expect(schedule.msUntilNextDue(t0)).toBe(10);
    expect(schedule.take(t0 + 10)).toEqual({ kind: 'apps', appIds: ['a'] });
    expect(schedule.take(t0 + 20)).toEqual({ kind: 'apps', appIds: [] });
    expect(schedule.msUntilNextDue(t0 + 20)).toBe(7980);
    expect(schedule.take(t0 + 8000)).toEqual({ kind: 'apps', appIds: ['b'] });
    expect(schedule.size).toBe(0);
  });

  it('keeps the earlier of two marks of one app', () => {
    const schedule = new ReconcileSchedule(30_000);
    schedule.take(t0);
    schedule.mark('a', t0 + 5000);
    schedule.mark('a', t0 + 100);
    schedule.mark('a', t0 + 9000);
    expect(schedule.msUntilNextDue(t0)).toBe(100);
  });

  it('runs a full pass when asked, which also takes the apps due by then', () => {
    const schedule = new ReconcileSchedule(30_000);
    schedule.take(t0);
    schedule.mark('a', t0);
    schedule.mark('later', t0 + 5000);
    schedule.requestFull();
    expect(schedule.msUntilNextDue(t0 + 1)).toBe(0);
    expect(schedule.take(t0 + 1)).toEqual({ kind: 'full' });
    expect(schedule.size).toBe(1);
    expect(schedule.take(t0 + 5000)).toEqual({ kind: 'apps', appIds: ['later'] });
  });
});

describe('nextLook', () => {
  const now = new Date('2026-12-05T10:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('looks again within a second while something starts', () => {
    expect(
      nextLook({
        replicas: [{ state: 'starting', nextRestartAt: null }],
        acted: false,
        now,
        intervalMs: 2000,
      }),
    ).toEqual(at(1000));
    expect(nextLook({ replicas: [], acted: true, now, intervalMs: 2000 })).toEqual(at(1000));
    expect(nextLook({ replicas: [], acted: true, now, intervalMs: 250 })).toEqual(at(250));
  });

  it('looks at a container it just started after 25 ms, and at a starting replica after a quarter of its age', () => {
    const starting = (ageMs: number) => ({
      state: 'starting' as const,
      nextRestartAt: null,
      startedAt: at(-ageMs),
    });
    expect(nextLook({ replicas: [], started: true, acted: false, now, intervalMs: 2000 })).toEqual(at(25));
    expect(nextLook({ replicas: [starting(0)], acted: false, now, intervalMs: 2000 })).toEqual(at(25));
    expect(nextLook({ replicas: [starting(60)], acted: false, now, intervalMs: 2000 })).toEqual(at(25));
    expect(nextLook({ replicas: [starting(400)], acted: false, now, intervalMs: 2000 })).toEqual(at(100));
    // Backs off to the second it always waited: a replica that never listens costs a pass a second.
    expect(nextLook({ replicas: [starting(60_000)], acted: false, now, intervalMs: 2000 })).toEqual(at(1000));
    expect(nextLook({ replicas: [starting(60_000)], acted: false, now, intervalMs: 250 })).toEqual(at(250));
  });

  it('does not hurry for a balancer on its way or a replica whose container is not started yet', () => {
    expect(nextLook({ replicas: [], acted: true, now, intervalMs: 2000 })).toEqual(at(1000));
    expect(
      nextLook({
        replicas: [{ state: 'pending', nextRestartAt: null, startedAt: null }],
        acted: false,
        now,
        intervalMs: 2000,
      }),
    ).toEqual(at(1000));
  });

  it('looks again when a crashed replica is due, never sooner than a second', () => {
    const crashed = (ms: number) => ({ state: 'crashed' as const, nextRestartAt: at(ms) });
    expect(nextLook({ replicas: [crashed(8000)], acted: false, now, intervalMs: 30_000 })).toEqual(at(8000));
    expect(nextLook({ replicas: [crashed(10)], acted: false, now, intervalMs: 30_000 })).toEqual(at(1000));
  });

  it('otherwise waits the interval (a rollout waiting, a failure to retry)', () => {
    expect(
      nextLook({
        replicas: [{ state: 'running', nextRestartAt: null }],
        acted: false,
        now,
        intervalMs: 2000,
      }),
    ).toEqual(at(2000));
  });
});
