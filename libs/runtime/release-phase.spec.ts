import { describe, expect, it, jest } from '@jest/globals';
import type { AppChanges, App, Release, ReleasePhaseRecords, ReleasesService } from '../apps/index.js';
import type { OneOffRun, RunsService } from '../runs/index.js';
import { ReleasePhaseGate } from './release-phase.js';
import type { Replica } from './replica.entity.js';

const app = { id: 'app-1', desiredState: 'running', deletingAt: null } as App;
const v1 = { id: 'rel-1', version: 1, releasePhase: null } as Release;
const v2 = (over: Partial<Release> = {}) =>
  ({
    id: 'rel-2',
    version: 2,
    releaseCommand: ['node', 'migrate.js'],
    releasePhase: 'pending',
    releaseRunId: null,
    releasePhaseReason: null,
    ...over,
  }) as Release;
const servingV1 = [{ releaseId: 'rel-1' } as Replica];

function setup(run?: Partial<OneOffRun>, claim = true) {
  const releases = {
    claimReleasePhase: jest.fn(async (_releaseId: string) => claim),
    recordReleaseRun: jest.fn(async (_releaseId: string, _runId: string) => undefined),
    endReleasePhase: jest.fn(async (_releaseId: string, _phase: string, _reason: string | null) => undefined),
    byIds: jest.fn(async (ids: string[]) => [v1].filter((r) => ids.includes(r.id))),
  };
  const launched = { id: 'run-9' } as OneOffRun;
  const runs = {
    launch: jest.fn(async (_app: App, _release: Release, _options: object) => ({
      run: launched,
      ended: new Promise<OneOffRun>(() => undefined),
    })),
    byId: jest.fn(async () =>
      run ? ({ createdAt: new Date(), timeoutSeconds: 600, ...run } as OneOffRun) : null,
    ),
  };
  const changes = { notify: jest.fn(async () => undefined) };
  const gate = new ReleasePhaseGate(
    releases as unknown as ReleasesService,
    releases as unknown as ReleasePhaseRecords,
    runs as unknown as RunsService,
    changes as unknown as AppChanges,
  );
  return { gate, releases, runs };
}

describe('ReleasePhaseGate', () => {
  it('lets a release without a command, or whose command passed, roll out', async () => {
    const { gate } = setup();
    expect(await gate.gate(app, v1, servingV1)).toEqual({ release: v1, waiting: false, failure: null });
    const passed = v2({ releasePhase: 'succeeded' });
    expect(await gate.gate(app, passed, servingV1)).toEqual({
      release: passed,
      waiting: false,
      failure: null,
    });
  });

  it('starts a pending command once and keeps the serving release meanwhile', async () => {
    const { gate, runs, releases } = setup();
    const result = await gate.gate(app, v2(), servingV1);
    expect(result).toEqual({ release: v1, waiting: true, failure: null });
    expect(runs.launch).toHaveBeenCalledWith(app, expect.objectContaining({ id: 'rel-2' }), {
      purpose: 'release',
      command: ['node', 'migrate.js'],
      timeoutSeconds: 600,
      actor: 'release:v2',
    });
    expect(releases.recordReleaseRun).toHaveBeenCalledWith('rel-2', 'run-9');
  });

  it('does not start it again when another pass claimed it', async () => {
    const { gate, runs } = setup(undefined, false);
    expect((await gate.gate(app, v2(), servingV1)).waiting).toBe(true);
    expect(runs.launch).not.toHaveBeenCalled();
  });

  it('rolls out once the run succeeded', async () => {
    const { gate, releases } = setup({ state: 'succeeded', finishedAt: new Date() });
    const running = v2({ releasePhase: 'running', releaseRunId: 'run-9' });
    expect(await gate.gate(app, running, servingV1)).toEqual({
      release: running,
      waiting: false,
      failure: null,
    });
    expect(releases.endReleasePhase).toHaveBeenCalledWith('rel-2', 'succeeded', null);
  });

  it('keeps the serving release and says why when the run failed', async () => {
    const { gate, releases } = setup({
      state: 'failed',
      reason: 'exited with code 4',
      finishedAt: new Date(),
    });
    const running = v2({ releasePhase: 'running', releaseRunId: 'run-9' });
    expect(await gate.gate(app, running, servingV1)).toEqual({
      release: v1,
      waiting: false,
      failure: 'release command of v2 failed: exited with code 4',
    });
    expect(releases.endReleasePhase).toHaveBeenCalledWith('rel-2', 'failed', 'exited with code 4');
  });

  it('runs nothing for a first release whose command failed', async () => {
    const { gate } = setup();
    const failed = v2({ releasePhase: 'failed', releasePhaseReason: 'killed after 600 s (time limit)' });
    expect(await gate.gate(app, failed, [])).toEqual({
      release: null,
      waiting: false,
      failure: 'release command of v2 failed: killed after 600 s (time limit)',
    });
  });

  it('fails the phase when the command cannot start (e.g. over the memory quota)', async () => {
    const { gate, runs, releases } = setup();
    runs.launch.mockRejectedValueOnce(new Error('Quota exceeded'));
    const result = await gate.gate(app, v2(), servingV1);
    expect(result).toEqual({
      release: v1,
      waiting: false,
      failure: 'release command of v2 failed: could not start: Quota exceeded',
    });
    expect(releases.endReleasePhase).toHaveBeenCalledWith(
      'rel-2',
      'failed',
      'could not start: Quota exceeded',
    );
  });
});
