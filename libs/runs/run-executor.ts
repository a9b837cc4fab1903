import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { App, Release } from '../apps/index.js';
import { ReleasesService } from '../apps/index.js';
import { type ContainerEngine, hardenedContainerSpec, type LogLine } from '../engine/index.js';
import { EnginePool, ImageDistribution } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';
import { chooseBuildHost } from '../scheduler/index.js';
import type { OneOffRun } from './one-off-run.entity.js';
import { RunOutputStore } from './run-output.store.js';
import { type RunEnd, RunsRepository } from './runs.repository.js';

/** The label naming the run a container belongs to. */
export const RUN_LABEL = 'berth.run';
/** Output is stored in batches of at most this many lines, or what arrived within FLUSH_MS. */
const FLUSH_LINES = 200;
const FLUSH_MS = 200;

/**
 * Runs one OneOffRun to its end in this process: places it on a ready host, brings the release's image
 * and the tenant network there, starts a hardened container (role `run`) of the release's image with its
 * env and the run's argv, stores its output (bounded: lines cut at 16 KiB by the engine, at most
 * MAX_LINES_PER_RUN kept), kills it at its time limit, keeps Docker's exit code, OOM flag and timestamps,
 * and removes the container. `stop` kills a run that this process supervises.
 */
@Injectable()
export class RunExecutor implements OnApplicationShutdown {
  private readonly logger = new Logger('RunExecutor');
  /** Runs supervised here, by id: aborting one kills its container. */
  private readonly active = new Map<string, { stop: AbortController; done: Promise<OneOffRun> }>();

  constructor(
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    private readonly networks: TenantNetworks,
    private readonly releases: ReleasesService,
    private readonly runs: RunsRepository,
    private readonly output: RunOutputStore,
  ) {}

  /** Starts supervising `run`; the promise resolves with the ended row (it never rejects). */
  execute(run: OneOffRun, app: App, release: Release): Promise<OneOffRun> {
    const stop = new AbortController();
    const done = this.supervise(run, app, release, stop.signal)
      .catch(async (err) => {
        this.logger.warn(`run ${run.id} of app ${run.appId}: ${describe(err)}`);
        await this.runs.markEnded(run.id, {
          state: 'error',
          exitCode: null,
          oomKilled: false,
          finishedAt: new Date(),
          reason: `could not run: ${describe(err)}`,
        });
      })
      .then(async () => {
        await this.output.flushed(run.id);
        this.output.finish(run.id);
        this.active.delete(run.id);
        return (await this.runs.byId(run.id))!;
      });
    this.active.set(run.id, { stop, done });
    return done;
  }

  supervises(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Kills the run's container when this process supervises it; false otherwise. */
  stopHere(runId: string): boolean {
    const entry = this.active.get(runId);
    if (!entry) return false;
    entry.stop.abort();
    return true;
  }

  /** Kills a run's container wherever it is (a run supervised by another process). */
  async kill(run: OneOffRun): Promise<void> {
    if (this.stopHere(run.id) || !run.hostId || !run.containerId) return;
    const host = (await this.pool.hosts()).find((h) => h.id === run.hostId);
    if (!host || host.status === 'down') return;
    const engine = await this.pool.engineFor(host);
    await engine.killContainer({ id: run.containerId }).catch(() => undefined);
  }

  /** Shutdown kills what runs here, so no run outlives its supervisor unmetered. */
  async onApplicationShutdown(): Promise<void> {
    const entries = [...this.active.values()];
    for (const entry of entries) entry.stop.abort();
    await Promise.all(entries.map((entry) => entry.done));
  }

  private async supervise(run: OneOffRun, app: App, release: Release, stop: AbortSignal): Promise<void> {
    const hosts = await this.pool.schedulableHosts();
    const hostId = chooseBuildHost(
      hosts.map((h) => ({ id: h.id, status: h.status, memoryMb: h.memoryMb, allocatedMb: 0 })),
      run.memoryMb,
    );
    const host = hosts.find((h) => h.id === hostId)!;
    const engine = await this.pool.engineFor(host);
    await this.images.ensureOn(host, release.image!, release.imageDigest);
    await this.networks.ensure({ host, tenantId: run.tenantId });
    const spec = hardenedContainerSpec({
      tenantId: run.tenantId,
      appId: run.appId,
      appName: app.name,
      releaseVersion: release.version,
      role: 'run',
      instance: run.id,
      image: release.image!,
      cmd: run.command,
      env: { ...this.releases.envOf(release), BERTH_RUN_ID: run.id },
      plan: { memoryMb: run.memoryMb, cpuMillis: run.cpuMillis },
      extraLabels: { [RUN_LABEL]: run.id },
      stopGraceSeconds: 1,
    });
    const { id } = await engine.createContainer(spec);
    try {
      await this.runs.recordContainer(run.id, host.id, id);
      if (stop.aborted) return await this.end(run, engine, id, { stopped: true, timedOut: false });
      await engine.startContainer({ id });
      const started = await engine.inspectContainer({ id });
      const marked = await this.runs.markRunning(run.id, started?.startedAt ?? new Date());
      // Stopped (by any process) while it was starting: it ends at once.
      if (!marked) await engine.killContainer({ id }).catch(() => undefined);
      const outcome = await this.follow(run, engine, id, stop);
      await this.end(run, engine, id, outcome);
    } finally {
      await engine.removeContainer({ id, force: true }).catch(() => undefined);
    }
  }

  /** Stores the output until the container exits, killing it at its time limit or on stop. */
  private async follow(
    run: OneOffRun,
    engine: ContainerEngine,
    id: string,
    stop: AbortSignal,
  ): Promise<{ stopped: boolean; timedOut: boolean }> {
    let timedOut = false;
    let stopped = false;
    const kill = () => void engine.killContainer({ id }).catch(() => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, run.timeoutSeconds * 1000);
    const onStop = () => {
      stopped = true;
      kill();
    };
    stop.addEventListener('abort', onStop, { once: true });
    try {
      const pending: LogLine[] = [];
      let flushAt = Date.now() + FLUSH_MS;
      const flush = () => {
        if (pending.length > 0) void this.output.append(run.id, pending.splice(0)).catch(() => undefined);
        flushAt = Date.now() + FLUSH_MS;
      };
      // The follow ends when the container stops; its lines arrive whole, cut at 16 KiB by the engine.
      const periodic = setInterval(flush, FLUSH_MS);
      try {
        for await (const line of engine.containerLogs({ id, follow: true })) {
          pending.push(line);
          if (pending.length >= FLUSH_LINES || Date.now() >= flushAt) flush();
        }
      } finally {
        clearInterval(periodic);
        flush();
      }
      await engine.waitContainer({ id });
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
    return { stopped, timedOut };
  }

  private async end(
    run: OneOffRun,
    engine: ContainerEngine,
    id: string,
    outcome: { stopped: boolean; timedOut: boolean },
  ): Promise<void> {
    const details = await engine.inspectContainer({ id });
    const exitCode = details?.exitCode ?? null;
    const oomKilled = details?.oomKilled ?? false;
    const end: RunEnd = {
      state: 'failed',
      exitCode,
      oomKilled,
      finishedAt: details?.finishedAt ?? new Date(),
      reason: `exited with code ${exitCode}`,
    };
    if (outcome.timedOut) {
      end.state = 'timed_out';
      end.reason = `killed after ${run.timeoutSeconds} s (time limit)`;
    } else if (outcome.stopped) {
      end.state = 'stopped';
      end.reason = 'stopped';
    } else if (oomKilled) {
      end.reason = 'killed: out of memory';
    } else if (exitCode === 0) {
      end.state = 'succeeded';
    }
    await this.output.flushed(run.id);
    await this.runs.markEnded(run.id, end);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
