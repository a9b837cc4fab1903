import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { App, Release } from '../apps/index.js';
import type { AppOverview, ReplicaOverview } from './app-overview.service.js';
import type { DataSource } from 'typeorm';
import type { AppsService } from '../apps/index.js';
import type { Principal } from '../identity/index.js';
import type { AppListCache } from './app-list-cache.js';
import type { AppOverviewService } from './app-overview.service.js';
import { AppWaits, decide } from './app-waits.js';
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

describe('AppWaits.wait', () => {
  // Timers are fake and never advanced past the wait's re-check: only a notification or the close wakes it.
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const principal = { tenantId: 't1', userId: 'u1', role: 'owner' } as unknown as Principal;

  /** A service whose app has release r1, with a running replica once `ready` is set. */
  function fixture() {
    const state = { ready: false, listeners: [] as ((tenantId: string) => void)[] };
    const apps = { get: async () => app('r1') } as unknown as AppsService;
    const overviews = {
      overview: async () =>
        overview(
          release('r1', 1),
          state.ready ? [replica('r1', 1, 'running')] : [replica('r1', 1, 'starting')],
        ),
    } as unknown as AppOverviewService;
    const listCache = {
      onChange: (listener: (tenantId: string) => void) => {
        state.listeners.push(listener);
        return () => state.listeners.splice(state.listeners.indexOf(listener), 1);
      },
    } as unknown as AppListCache;
    const waits = new AppWaits({} as DataSource, apps, overviews, listCache);
    return { state, waits };
  }

  it("answers when a change of the tenant's apps is heard, not only at its re-check", async () => {
    const { state, waits } = fixture();
    const answer = waits.wait(principal, 'web', {}, 60_000);
    await jest.advanceTimersByTimeAsync(10);
    state.ready = true;
    for (const listener of [...state.listeners]) listener('another-tenant');
    for (const listener of [...state.listeners]) listener('t1');
    expect(await answer).toMatchObject({ outcome: 'ready', releaseVersion: 1 });
    expect(state.listeners).toHaveLength(0);
  });

  it('lets open waits answer at once when the process closes', async () => {
    const { state, waits } = fixture();
    const answer = waits.wait(principal, 'web', {}, 60_000);
    await jest.advanceTimersByTimeAsync(10);
    waits.beforeApplicationShutdown();
    expect(await answer).toMatchObject({ outcome: 'timeout' });
    expect(state.listeners).toHaveLength(0);
  });
});
