import { describe, expect, it } from '@jest/globals';
import { HEALTH_CHECK_DEFAULTS, type HealthCheckSettings } from '../apps/index.js';
import {
  failedCheck,
  freshRecord,
  type HealthRecord,
  judgeRollout,
  passedCheck,
  probeDue,
  type RolloutInput,
  withProbe,
} from './health-verdict.js';

const CHECK: HealthCheckSettings = {
  ...HEALTH_CHECK_DEFAULTS,
  path: '/healthz',
  intervalMs: 1000,
  gracePeriodMs: 2000,
  successThreshold: 2,
  failureThreshold: 3,
};
const T0 = Date.parse('2026-12-01T12:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

function probes(results: boolean[], startMs = 2000): HealthRecord {
  let record = freshRecord(T0);
  results.forEach(
    (ok, i) =>
      (record = withProbe(record, ok, ok ? 'answered 200' : 'answered 500', T0 + startMs + i * 1000)),
  );
  return record;
}

describe('probe schedule and counters', () => {
  it('waits out the grace period, then probes every interval', () => {
    const record = freshRecord(T0);
    expect(probeDue(record, CHECK, T0 + 1999)).toBe(false);
    expect(probeDue(record, CHECK, T0 + 2000)).toBe(true);
    const probed = withProbe(record, true, 'ok', T0 + 2000);
    expect(probeDue(probed, CHECK, T0 + 2999)).toBe(false);
    expect(probeDue(probed, CHECK, T0 + 3000)).toBe(true);
  });

  it('counts consecutive passes and failures; one of each resets the other', () => {
    expect(passedCheck(probes([true]), CHECK)).toBe(false);
    expect(passedCheck(probes([true, true]), CHECK)).toBe(true);
    expect(passedCheck(probes([true, false, true]), CHECK)).toBe(false);
    expect(failedCheck(probes([false, false]), CHECK)).toBe(false);
    expect(failedCheck(probes([false, false, false]), CHECK)).toBe(true);
    expect(failedCheck(probes([false, false, true, false, false]), CHECK)).toBe(false);
    expect(failedCheck(undefined, CHECK)).toBe(false);
  });
});

describe('judgeRollout', () => {
  const release = { id: 'rel-2', version: 2, healthCheck: CHECK, rolledOutAt: null, failureReason: null };
  function input(overrides: Partial<RolloutInput> & { record?: HealthRecord }): RolloutInput {
    return {
      release,
      reachedByRollback: false,
      defaultWindowMs: 60_000,
      deadlineMs: 30_000,
      replicas: [
        {
          id: 'replica-new-1',
          releaseId: 'rel-2',
          state: 'starting',
          startedAt: at(0),
          restarts: 0,
          lastError: null,
        },
        {
          id: 'replica-old-1',
          releaseId: 'rel-1',
          state: 'running',
          startedAt: at(-60_000),
          restarts: 0,
          lastError: null,
        },
      ],
      records: new Map(overrides.record ? [['replica-new-1', overrides.record]] : []),
      now: at(10_000),
      ...overrides,
    };
  }

  it('rolls back a release whose new replica fails its check failureThreshold times in a row', () => {
    const verdict = judgeRollout(input({ record: probes([false, false, false]) }));
    expect(verdict).toEqual({
      kind: 'roll_back',
      reason: 'replica replica- of v2 failed its health check 3 times in a row: answered 500',
    });
  });

  it('keeps a release whose replica is still within its failure threshold and deadline', () => {
    expect(judgeRollout(input({ record: probes([false, false]) }))).toEqual({ kind: 'keep' });
    expect(judgeRollout(input({ record: probes([true]) }))).toEqual({ kind: 'keep' });
  });

  it('rolls back a release whose replica has not passed within grace period + deadline', () => {
    expect(judgeRollout(input({ record: probes([true]), now: at(32_000) }))).toEqual({ kind: 'keep' });
    const verdict = judgeRollout(input({ record: probes([true]), now: at(32_001) }));
    expect(verdict).toMatchObject({ kind: 'roll_back', reason: expect.stringContaining('within 30 s') });
  });

  it('rolls back a rolled-out release whose running replica turns unhealthy inside the window, not after it', () => {
    const running = [
      {
        id: 'replica-new-1',
        releaseId: 'rel-2',
        state: 'running' as const,
        startedAt: at(0),
        restarts: 0,
        lastError: null,
      },
    ];
    const rolledOut = { ...release, rolledOutAt: at(5000) };
    const failing = probes([true, true, false, false, false]);
    expect(
      judgeRollout(input({ release: rolledOut, replicas: running, record: failing, now: at(64_999) })),
    ).toMatchObject({ kind: 'roll_back' });
    expect(
      judgeRollout(input({ release: rolledOut, replicas: running, record: failing, now: at(65_000) })),
    ).toEqual({ kind: 'keep' });
    // The check's own window wins over the platform's.
    const ownWindow = { ...rolledOut, healthCheck: { ...CHECK, rollbackWindowMs: 120_000 } };
    expect(
      judgeRollout(input({ release: ownWindow, replicas: running, record: failing, now: at(100_000) })),
    ).toMatchObject({ kind: 'roll_back' });
  });

  it('rolls back a release whose replica keeps exiting', () => {
    const crashing = [
      {
        id: 'replica-new-1',
        releaseId: 'rel-2',
        state: 'crashed' as const,
        startedAt: at(0),
        restarts: 3,
        lastError: 'exited with code 1',
      },
    ];
    expect(judgeRollout(input({ replicas: crashing }))).toEqual({
      kind: 'roll_back',
      reason: 'replica replica- of v2 keeps exiting (3 restarts): exited with code 1',
    });
  });

  it('never judges a release without a check, one already failed, or one reached by an automatic rollback', () => {
    const record = probes([false, false, false]);
    expect(judgeRollout(input({ release: { ...release, healthCheck: null }, record }))).toEqual({
      kind: 'keep',
    });
    expect(judgeRollout(input({ release: { ...release, failureReason: 'x' }, record }))).toEqual({
      kind: 'keep',
    });
    expect(judgeRollout(input({ reachedByRollback: true, record }))).toEqual({ kind: 'keep' });
  });

  it('ignores replicas of other releases (the old ones still serving)', () => {
    const records = new Map([['replica-old-1', probes([false, false, false])]]);
    expect(judgeRollout(input({ records }))).toEqual({ kind: 'keep' });
  });
});
