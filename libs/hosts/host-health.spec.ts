import { describe, expect, it } from '@jest/globals';
import { nextHostHealth, type HostHealth } from './host-health.js';

const healthy = (overrides: Partial<HostHealth> = {}): HostHealth => ({
  status: 'ready',
  adminStatus: 'ready',
  consecutiveFailures: 0,
  lastError: null,
  ...overrides,
});
const fail = (error = 'connect ECONNREFUSED') => ({ ok: false as const, error });
const ok = { ok: true as const };

/** Applies probes in order, as rounds of the monitor would. */
function run(start: HostHealth, probes: Parameters<typeof nextHostHealth>[1][], threshold = 3) {
  const seen = [];
  let current = start;
  for (const probe of probes) {
    const next = nextHostHealth(current, probe, threshold);
    seen.push(next);
    current = next;
  }
  return seen;
}

describe('nextHostHealth', () => {
  it('keeps a host that answers as it is, with no event', () => {
    expect(nextHostHealth(healthy(), ok, 3)).toEqual({ ...healthy(), event: undefined });
  });

  it('counts failures and records the error, but keeps the status below the threshold', () => {
    const [first, second] = run(healthy(), [fail('a'), fail('b')]);
    expect(first).toMatchObject({
      status: 'ready',
      consecutiveFailures: 1,
      lastError: 'a',
      event: undefined,
    });
    expect(second).toMatchObject({
      status: 'ready',
      consecutiveFailures: 2,
      lastError: 'b',
      event: undefined,
    });
  });

  it('marks the host down on the threshold-th failure in a row, once', () => {
    const rounds = run(healthy(), [fail(), fail(), fail('timeout'), fail()]);
    expect(rounds.map((r) => r.status)).toEqual(['ready', 'ready', 'down', 'down']);
    expect(rounds.map((r) => r.event)).toEqual([undefined, undefined, 'down', undefined]);
    expect(rounds[2]).toMatchObject({ consecutiveFailures: 3, lastError: 'timeout' });
    expect(rounds[3].consecutiveFailures).toBe(4);
  });

  it('an answer between failures starts the count again', () => {
    const rounds = run(healthy(), [fail(), fail(), ok, fail(), fail()]);
    expect(rounds.map((r) => r.consecutiveFailures)).toEqual([1, 2, 0, 1, 2]);
    expect(rounds.every((r) => r.status === 'ready')).toBe(true);
  });

  it('brings a down host back to its admin status, resets the count and clears the error', () => {
    for (const adminStatus of ['ready', 'cordoned', 'draining'] as const) {
      const down = healthy({ status: 'down', adminStatus, consecutiveFailures: 7, lastError: 'gone' });
      expect(nextHostHealth(down, ok, 3)).toEqual({
        status: adminStatus,
        adminStatus,
        consecutiveFailures: 0,
        lastError: null,
        event: 'up',
      });
    }
  });

  it('keeps a cordoned or draining host in its admin status below the threshold', () => {
    const cordoned = healthy({ status: 'cordoned', adminStatus: 'cordoned' });
    expect(nextHostHealth(cordoned, fail(), 3).status).toBe('cordoned');
    const draining = healthy({ status: 'draining', adminStatus: 'draining', consecutiveFailures: 2 });
    expect(nextHostHealth(draining, fail(), 3)).toMatchObject({ status: 'down', event: 'down' });
  });

  it('with a threshold of 1, the first failure takes the host down', () => {
    expect(nextHostHealth(healthy(), fail(), 1)).toMatchObject({ status: 'down', event: 'down' });
  });

  it('does not mutate its input', () => {
    const current = Object.freeze(healthy({ consecutiveFailures: 2 }));
    nextHostHealth(current, fail(), 3);
    expect(current.consecutiveFailures).toBe(2);
  });

  it('refuses a threshold that is not a positive integer', () => {
    for (const threshold of [0, -1, 1.5, Number.NaN]) {
      expect(() => nextHostHealth(healthy(), ok, threshold)).toThrow(RangeError);
    }
  });
});
