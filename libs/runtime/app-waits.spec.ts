import { describe, expect, it } from '@jest/globals';
import type { App, Release } from '../apps/index.js';
import type { AppOverview, ReplicaOverview } from './app-overview.service.js';
import { decide } from './app-waits.js';
import type { Replica, ReplicaState } from './replica.entity.js';

const release = (id: string, version: number) => ({ id, version }) as Release;
const app = (current: string, phase = 'converging', statusReason: string | null = null) =>
  ({ id: 'a', currentReleaseId: current, phase, statusReason }) as unknown as App;
const replica = (releaseId: string, version: number, state: ReplicaState, role: 'web' | 'lb' = 'web') =>
  ({
    replica: { releaseId, state, role } as Replica,
    host: undefined,
    releaseVersion: version,
    endpoint: `http://127.0.0.1:${30000 + version}`,
  }) as ReplicaOverview;
const overview = (current: Release, replicas: ReplicaOverview[]) =>
  ({ release: current, replicas, endpoints: [], urls: [] }) as unknown as AppOverview;

describe('decide (what GET /v1/apps/{app}/wait answers)', () => {
  it("is ready with the endpoints of the awaited release's running web replicas only", () => {
    const result = decide(
      app('r2'),
      'r2',
      overview(release('r2', 2), [
        replica('r1', 1, 'running'),
        replica('r2', 2, 'running'),
        replica('r2', 2, 'starting'),
        replica('r2', 2, 'running', 'lb'),
      ]),
    );
    expect(result).toMatchObject({
      outcome: 'ready',
      releaseVersion: 2,
      endpoints: ['http://127.0.0.1:30002'],
    });
  });

  it('keeps waiting while the release only has starting replicas (never lists one before it answers)', () => {
    const result = decide(app('r2'), 'r2', overview(release('r2', 2), [replica('r2', 2, 'starting')]));
    expect(result).toMatchObject({ outcome: 'timeout', endpoints: [] });
  });

  it('fails when the awaited release is current and crashlooping or failed', () => {
    for (const phase of ['crashloop', 'failed']) {
      const result = decide(app('r2', phase, 'exited with code 1'), 'r2', overview(release('r2', 2), []));
      expect(result).toMatchObject({ outcome: 'failed', reason: 'exited with code 1' });
    }
  });

  it("does not fail on an older release's crashloop while the awaited one is on its way", () => {
    const result = decide(
      app('r1', 'crashloop'),
      'r2',
      overview(release('r1', 1), [replica('r2', 2, 'starting')]),
    );
    expect(result.outcome).toBe('timeout');
  });

  it('fails when a newer release superseded the awaited one before it ran', () => {
    const result = decide(app('r3'), 'r2', overview(release('r3', 3), [replica('r2', 2, 'stopping')]));
    expect(result).toMatchObject({ outcome: 'failed', reason: 'superseded by release v3' });
  });
});
