import { Inject, Injectable, Logger } from '@nestjs/common';
import { type App, type Release, ReleasesService } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import type { Host } from '../hosts/index.js';
import { EnginePool } from '../hosts/index.js';
import { restartBackoffMs } from './convergence.js';
import { failedCheck, judgeRollout } from './health-verdict.js';
import { ReplicaHealth } from './replica-health.js';
import { STOP_GRACE_SECONDS } from './replica-role.js';
import type { Replica } from './replica.entity.js';
import { ReplicasRepository } from './replicas.repository.js';

/**
 * What the reconciler does with health verdicts, once per app pass after observing its replicas: probes the
 * running replicas that are due, rolls the current release back when its replicas fail during its rollout or
 * rollback window (judgeRollout), and otherwise restarts replicas of the current release that failed their
 * check `failureThreshold` times in a row, with the crash backoff. Callers hold the reconciler's per-app lock.
 */
@Injectable()
export class RolloutGuard {
  private readonly logger = new Logger('RolloutGuard');

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly health: ReplicaHealth,
    private readonly releases: ReleasesService,
    private readonly replicaRows: ReplicasRepository,
    private readonly pool: EnginePool,
  ) {}

  /** True when the app was rolled back (the pass stops: its next look acts on the release it went back to). */
  async guard(input: {
    app: App | null;
    release: Release | null;
    replicas: Replica[];
    hostById: Map<string, Host>;
  }): Promise<boolean> {
    const { app, release, replicas, hostById } = input;
    if (!app || app.deletingAt || !release) return false;
    await this.health.probeRunning(replicas, hostById);
    const verdict = judgeRollout({
      release,
      reachedByRollback: app.lastAutoRollback?.toVersion === release.version,
      defaultWindowMs: this.config.rollbackWindowMs,
      deadlineMs: this.config.rolloutDeadlineMs,
      replicas,
      records: this.health.recordsById,
      now: new Date(),
    });
    if (verdict.kind === 'roll_back') {
      const rollback = await this.releases.rollBackAutomatically(app.id, release.id, verdict.reason);
      if (rollback) {
        this.logger.warn(
          `app ${app.id}: rolled back from v${rollback.fromVersion} to v${rollback.toVersion}: ${rollback.reason}`,
        );
        return true;
      }
      this.logger.warn(
        `app ${app.id}: v${release.version} failed (${verdict.reason}); nothing to roll back to`,
      );
    }
    const check = release.healthCheck;
    if (!check) return false;
    for (const replica of replicas) {
      if (replica.releaseId !== release.id || replica.state !== 'running') continue;
      const record = this.health.recordsById.get(replica.id);
      if (!failedCheck(record, check)) continue;
      const host = hostById.get(replica.hostId);
      if (host) await this.restartUnhealthy(replica, host, record!.lastDetail ?? 'health check failed');
    }
    return false;
  }

  /** The release's rollout completed (the pass converged on it): its rollback window starts now. */
  async rolloutConverged(release: Release | null): Promise<void> {
    if (release && !release.rolledOutAt) {
      release.rolledOutAt = new Date();
      await this.releases.markRolledOut(release.id, release.rolledOutAt);
    }
  }

  /**
   * Stops an unhealthy replica's container and records it as crashed, so convergence starts it again after
   * the crash backoff (the same container, its restart counted). `replica` is updated in place for the rest
   * of the pass.
   */
  private async restartUnhealthy(replica: Replica, host: Host, detail: string): Promise<void> {
    if (!replica.containerId || host.status === 'down') return;
    const engine = await this.pool.engineFor(host);
    await engine.stopContainer({ id: replica.containerId, graceSeconds: STOP_GRACE_SECONDS });
    const details = await engine.inspectContainer({ id: replica.containerId });
    const stoppedAt = details?.finishedAt ?? new Date();
    await this.replicaRows.closeRun(replica.id, stoppedAt);
    const restarts = replica.restarts + 1;
    const exit = {
      exitCode: details?.exitCode ?? null,
      oomKilled: false,
      restarts,
      stoppedAt,
      nextRestartAt: new Date(Date.now() + restartBackoffMs(restarts)),
      lastError: `unhealthy, restarted: ${detail}`.slice(0, 500),
    };
    await this.replicaRows.recordExit(replica.id, exit);
    Object.assign(replica, { state: 'crashed', ...exit });
    this.health.forget(replica.id);
    this.logger.warn(`app ${replica.appId}: replica ${replica.id} unhealthy (${detail}); restarting`);
  }
}
