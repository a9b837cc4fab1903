import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { EnginePool } from '../hosts/index.js';
import type { OneOffRun } from './one-off-run.entity.js';
import { RunExecutor } from './run-executor.js';
import { type RunEnd, RunsRepository } from './runs.repository.js';

/** How often each process looks for runs whose supervisor was lost. */
const SWEEP_INTERVAL_MS = 30_000;
/** A supervisor records its run's end within a second; a run ended longer ago than this was left alone. */
export const LOST_AFTER_MS = 30_000;
/**
 * A run without a container yet may be waiting for its image to reach the host (another process's
 * supervisor copying it): only this long after its creation is it taken for lost.
 */
const LOST_BEFORE_START_MS = 15 * 60_000;

/**
 * Ends runs whose supervising process died (RunExecutor lives in one process): a run is metered until it
 * has finished_at, so one left `running` would be billed forever. For each run without an end that this
 * process does not supervise: a container that exited more than LOST_AFTER_MS ago is recorded with Docker's
 * exit and FinishedAt and removed; one still running past its time limit, or stopped by a caller, is killed
 * (and recorded by a later sweep);
 * a vanished container, or a row that never got one, ends as `error`. Safe in every process at once: a
 * run's end is written only while it has none (RunsRepository.markEnded).
 */
@Injectable()
export class RunSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RunSweeper');
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly pool: EnginePool,
    private readonly runs: RunsRepository,
    private readonly executor: RunExecutor,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.timer = setInterval(() => void this.sweepQuietly(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sweep; returns how many runs it ended or killed. */
  async sweep(options: { lostAfterMs?: number; now?: Date } = {}): Promise<number> {
    const lostAfterMs = options.lostAfterMs ?? LOST_AFTER_MS;
    const now = options.now ?? new Date();
    const hosts = new Map((await this.pool.hosts()).map((h) => [h.id, h]));
    let acted = 0;
    for (const run of await this.runs.activeOlderThan(new Date(now.getTime() - lostAfterMs))) {
      if (this.executor.supervises(run.id)) continue;
      const host = run.hostId ? hosts.get(run.hostId) : undefined;
      if (!run.containerId || !host) {
        if (now.getTime() - run.createdAt.getTime() < Math.max(lostAfterMs, LOST_BEFORE_START_MS)) continue;
        acted += await this.end(run, {
          state: 'error',
          exitCode: null,
          oomKilled: false,
          finishedAt: now,
          reason: 'lost with its supervisor before its container started',
        });
        continue;
      }
      if (host.status === 'down') continue;
      const engine = await this.pool.engineFor(host);
      const details = await engine.inspectContainer({ id: run.containerId });
      if (!details) {
        acted += await this.end(run, {
          state: 'error',
          exitCode: null,
          oomKilled: false,
          finishedAt: now,
          reason: 'its container vanished after its supervisor was lost',
        });
        continue;
      }
      const startedMs = (details.startedAt ?? run.createdAt).getTime();
      const limitMs = run.timeoutSeconds * 1000;
      if (details.running) {
        if (run.state === 'stopped' || now.getTime() - startedMs > limitMs) {
          await engine.killContainer({ id: details.id }).catch(() => undefined);
          acted += 1;
        }
        continue;
      }
      const finishedAt = details.finishedAt ?? now;
      if (now.getTime() - finishedAt.getTime() < lostAfterMs) continue;
      const timedOut = finishedAt.getTime() - startedMs >= limitMs;
      acted += await this.end(run, {
        state: timedOut ? 'timed_out' : details.exitCode === 0 && !details.oomKilled ? 'succeeded' : 'failed',
        exitCode: details.exitCode,
        oomKilled: details.oomKilled,
        finishedAt,
        reason: timedOut
          ? `killed after ${run.timeoutSeconds} s (time limit)`
          : details.oomKilled
            ? 'killed: out of memory'
            : `exited with code ${details.exitCode}`,
      });
      await engine.removeContainer({ id: details.id, force: true }).catch(() => undefined);
    }
    return acted;
  }

  private async end(run: OneOffRun, end: RunEnd): Promise<number> {
    this.logger.warn(`run ${run.id} of app ${run.appId} ended by the sweep: ${end.reason}`);
    await this.runs.markEnded(run.id, end);
    return 1;
  }

  private async sweepQuietly(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.sweep();
    } catch (err) {
      this.logger.warn(`sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.sweeping = false;
    }
  }
}
