import { describe, expect, it } from '@jest/globals';
import {
  ORPHAN_GRACE_MS,
  orphanContainers,
  planConvergence,
  restartBackoffMs,
  restartDue,
  type ReplicaView,
} from './convergence.js';

const t0 = new Date('2026-11-23T12:00:00Z');
const later = (s: number) => new Date(t0.getTime() + s * 1000);
let n = 0;
function replica(partial: Partial<ReplicaView>): ReplicaView {
  n += 1;
  return {
    id: `r${n}`,
    releaseId: 'v2',
    state: 'running',
    hostStatus: 'ready',
    createdAt: later(n),
    nextRestartAt: null,
    ...partial,
  };
}
const base = { currentReleaseId: 'v2', restartRequestedAt: null, now: later(1000) };

describe('planConvergence', () => {
  it('creates the missing replicas of the current release', () => {
    expect(planConvergence({ ...base, desiredReplicas: 3, replicas: [replica({})] })).toMatchObject({
      create: 2,
      remove: [],
      converged: false,
    });
  });

  it('is converged when exactly the desired replicas run the current release', () => {
    const step = planConvergence({
      ...base,
      desiredReplicas: 2,
      replicas: [replica({}), replica({}), replica({ state: 'gone' })],
    });
    expect(step).toEqual({ create: 0, remove: [], restart: [], converged: true });
  });

  it('scales down by removing crashed, then starting, then the newest running replicas', () => {
    const old = replica({});
    const newest = replica({});
    const crashed = replica({ state: 'crashed' });
    const step = planConvergence({ ...base, desiredReplicas: 1, replicas: [old, newest, crashed] });
    expect(step.remove).toEqual([crashed.id, newest.id]);
  });

  it('keeps old-release replicas serving until new ones run (no stop-then-start)', () => {
    const old1 = replica({ releaseId: 'v1' });
    const old2 = replica({ releaseId: 'v1' });
    const start = planConvergence({ ...base, desiredReplicas: 2, replicas: [old1, old2] });
    expect(start).toMatchObject({ create: 2, remove: [] });
    const oneReady = planConvergence({
      ...base,
      desiredReplicas: 2,
      replicas: [old1, old2, replica({ state: 'running' }), replica({ state: 'starting' })],
    });
    expect(oneReady.create).toBe(0);
    expect(oneReady.remove).toEqual([old2.id]);
    const allReady = planConvergence({
      ...base,
      desiredReplicas: 2,
      replicas: [old1, replica({}), replica({})],
    });
    expect(allReady.remove).toEqual([old1.id]);
  });

  it('replaces replicas created before a restart request, one old replica per ready new one', () => {
    const a = replica({ createdAt: later(1) });
    const b = replica({ createdAt: later(2) });
    const step = planConvergence({
      ...base,
      restartRequestedAt: later(10),
      desiredReplicas: 2,
      replicas: [a, b],
    });
    expect(step).toMatchObject({ create: 2, remove: [] });
  });

  it('moves replicas off draining hosts and drops those of down hosts at once', () => {
    const draining = replica({ hostStatus: 'draining' });
    const down = replica({ hostStatus: 'down' });
    const step = planConvergence({ ...base, desiredReplicas: 2, replicas: [draining, down] });
    expect(step.create).toBe(2);
    expect(step.remove).toEqual([down.id]);
  });

  it('keeps replicas on cordoned hosts (cordon only stops new placements)', () => {
    const step = planConvergence({
      ...base,
      desiredReplicas: 1,
      replicas: [replica({ hostStatus: 'cordoned' })],
    });
    expect(step.converged).toBe(true);
  });

  it('restarts a crashed replica only once its backoff has elapsed', () => {
    const waiting = replica({ state: 'crashed', nextRestartAt: later(2000) });
    const due = replica({ state: 'crashed', nextRestartAt: later(500) });
    const step = planConvergence({ ...base, desiredReplicas: 2, replicas: [waiting, due] });
    expect(step).toMatchObject({ create: 0, remove: [], restart: [due.id], converged: false });
  });

  it('stops everything when nothing should run', () => {
    const step = planConvergence({
      ...base,
      desiredReplicas: 0,
      replicas: [replica({}), replica({ state: 'crashed' })],
    });
    expect(step.remove).toHaveLength(2);
    expect(
      planConvergence({ ...base, desiredReplicas: 0, replicas: [replica({ state: 'gone' })] }).converged,
    ).toBe(true);
  });
});

describe('restartBackoffMs', () => {
  it('doubles from one second and caps at five minutes', () => {
    expect([1, 2, 3, 4].map(restartBackoffMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(restartBackoffMs(50)).toBe(300_000);
  });
});

describe('restartDue', () => {
  it('restarts a crashed replica once its backoff has elapsed, not before', () => {
    const now = later(100);
    expect(restartDue({ state: 'crashed', nextRestartAt: later(99) }, now)).toBe(true);
    expect(restartDue({ state: 'crashed', nextRestartAt: later(101) }, now)).toBe(false);
    expect(restartDue({ state: 'crashed', nextRestartAt: null }, now)).toBe(false);
    expect(restartDue({ state: 'stopping', nextRestartAt: later(99) }, now)).toBe(false);
  });
});

describe('orphanContainers', () => {
  const now = later(1000);
  const container = (replicaId: string | undefined, ageMs: number) => ({
    labels: replicaId ? { 'berth.replica': replicaId } : ({} as Record<string, string>),
    createdAt: new Date(now.getTime() - ageMs),
  });

  it('removes containers of gone replicas of either role, once past the grace period', () => {
    const web = container('gone-web', ORPHAN_GRACE_MS);
    const lb = container('gone-lb', ORPHAN_GRACE_MS + 60_000);
    const gone = new Set(['gone-web', 'gone-lb', 'young']);
    expect(orphanContainers([web, lb, container('young', ORPHAN_GRACE_MS - 1)], gone, now)).toEqual([
      web,
      lb,
    ]);
  });

  it('leaves containers of live replicas, unknown replicas (another installation) and unlabelled ones', () => {
    const old = ORPHAN_GRACE_MS * 10;
    const containers = [container('live', old), container('someone-elses', old), container(undefined, old)];
    expect(orphanContainers(containers, new Set(['gone']), now)).toEqual([]);
  });
});
