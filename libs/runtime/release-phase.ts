import { Injectable, Logger } from '@nestjs/common';
import {
  AppChanges,
  type App,
  type Release,
  type ReleasePhase,
  ReleasePhaseRecords,
  ReleasesService,
} from '../apps/index.js';
import { ACTIVE_RUN_STATES, DEFAULT_RUN_TIMEOUT_SECONDS, RunsService } from '../runs/index.js';
import type { Replica } from './replica.entity.js';

/** A release command's run that has not ended this long after its time limit lost its supervisor. */
const LOST_AFTER_MS = 120_000;

/** What a pass converges to while a release's command decides whether it may roll out. */
export interface ReleaseGate {
  /** The release whose replicas should run: the current one, or the one still serving meanwhile. */
  release: Release | null;
  /** The command is still running: the app is not converged. */
  waiting: boolean;
  /** Why the current release will not roll out (shown as the app's status reason). */
  failure: string | null;
}

/**
 * The release phase (docs/runs.md): a release with a command runs it once, in a one-off container of its
 * own image and env (purpose `release`), before any replica of it starts. Until it has succeeded the
 * reconciler keeps converging to the release that is serving (the newest other release with live replicas,
 * or none); when it fails, that release keeps serving and the reason is on the app's status. The run's
 * end wakes the reconciler (AppChanges).
 */
@Injectable()
export class ReleasePhaseGate {
  private readonly logger = new Logger('ReleasePhase');

  constructor(
    private readonly releases: ReleasesService,
    private readonly phases: ReleasePhaseRecords,
    private readonly runs: RunsService,
    private readonly changes: AppChanges,
  ) {}

  async gate(app: App | null, release: Release | null, replicas: Replica[]): Promise<ReleaseGate> {
    const open: ReleaseGate = { release, waiting: false, failure: null };
    if (!app || !release?.releasePhase || release.releasePhase === 'succeeded') return open;
    if (app.deletingAt || app.desiredState !== 'running') return open;
    let phase: ReleasePhase = release.releasePhase;
    let reason = release.releasePhaseReason;
    if (phase === 'pending') {
      ({ phase, reason } = await this.start(app, release));
    } else if (phase === 'running' && release.releaseRunId) {
      const verdict = await this.verdictOf(release.releaseRunId);
      if (verdict) {
        await this.phases.endReleasePhase(release.id, verdict.phase, verdict.reason);
        phase = verdict.phase;
        reason = verdict.reason;
      }
    }
    if (phase === 'succeeded') return open;
    const serving = await this.servingRelease(release, replicas);
    if (phase === 'failed') {
      const failure = `release command of v${release.version} failed: ${reason ?? 'unknown'}`;
      return { release: serving, waiting: false, failure };
    }
    return { release: serving, waiting: true, failure: null };
  }

  /** Claims the phase (one pass only) and starts the command; a start refused (quota) fails the phase. */
  private async start(
    app: App,
    release: Release,
  ): Promise<{ phase: 'running' | 'failed'; reason: string | null }> {
    if (!(await this.phases.claimReleasePhase(release.id))) return { phase: 'running', reason: null };
    try {
      const { run, ended } = await this.runs.launch(app, release, {
        purpose: 'release',
        command: release.releaseCommand!,
        timeoutSeconds: DEFAULT_RUN_TIMEOUT_SECONDS,
        actor: `release:v${release.version}`,
      });
      await this.phases.recordReleaseRun(release.id, run.id);
      void ended.then(() => this.changes.notify(app.id)).catch(() => undefined);
      this.logger.log(`app ${app.id}: release command of v${release.version} started (run ${run.id})`);
      return { phase: 'running', reason: null };
    } catch (err) {
      const reason = `could not start: ${err instanceof Error ? err.message : String(err)}`;
      await this.phases.endReleasePhase(release.id, 'failed', reason);
      return { phase: 'failed', reason };
    }
  }

  /** The run's verdict once it ended (or was lost with its process), else undefined. */
  private async verdictOf(
    runId: string,
  ): Promise<{ phase: 'succeeded' | 'failed'; reason: string | null } | undefined> {
    const run = await this.runs.byId(runId);
    if (!run) return { phase: 'failed', reason: 'its run vanished' };
    if (ACTIVE_RUN_STATES.includes(run.state)) {
      const deadline = run.createdAt.getTime() + run.timeoutSeconds * 1000 + LOST_AFTER_MS;
      return Date.now() > deadline ? { phase: 'failed', reason: 'its run was lost' } : undefined;
    }
    if (run.finishedAt === null) return undefined;
    if (run.state === 'succeeded') return { phase: 'succeeded', reason: null };
    return { phase: 'failed', reason: run.reason ?? run.state };
  }

  /** The newest other release that still has live replicas: it serves while the new one waits. */
  private async servingRelease(current: Release, replicas: Replica[]): Promise<Release | null> {
    const ids = [...new Set(replicas.map((r) => r.releaseId).filter((id): id is string => !!id))].filter(
      (id) => id !== current.id,
    );
    if (ids.length === 0) return null;
    const candidates = await this.releases.byIds(ids);
    return candidates.sort((a, b) => b.version - a.version)[0] ?? null;
  }
}
