import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { AppChanges } from '../apps/index.js';
import { EnginePool } from '../hosts/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { EngineEventWatch } from './engine-event-watch.js';
import { Reconciler } from './reconciler.service.js';

/** How soon a pass that left replicas starting is followed by the next (their readiness is checked again). */
const STARTING_RECHECK_MS = 1000;

@Injectable()
export class ReconcileLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReconcileLoop');
  private readonly loop: ControlLoop;
  private readonly events: EngineEventWatch;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    reconciler: Reconciler,
    pool: EnginePool,
    private readonly changes: AppChanges,
  ) {
    // Docker events (a container died, was OOM-killed) wake the loop; the interval is the safety net.
    this.events = new EngineEventWatch(pool, () => this.loop.wake());
    this.loop = new ControlLoop({
      name: 'ReconcileLoop',
      lockKey: LOCK_KEYS.reconciler,
      intervalMs: config.reconcileIntervalMs,
      dataSource,
      work: async () => {
        // Watching first: the events of this pass's own acts (a removed replica's destroy) wake the next
        // pass, even on the first pass of a process that just took the loop over.
        // A host whose events cannot be watched must not hold the pass up: the interval covers it.
        await this.events
          .ensure(await pool.hosts())
          .catch((error: Error) => this.logger.warn(`Docker events not watched: ${error.message}`));
        await reconciler.reconcileAll();
        return nextPassFor(await pendingWork(dataSource));
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.changes.onChange(() => this.loop.wake());
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // The loop first: a pass still running would otherwise open new event streams after events.stop().
    await this.loop.stop();
    this.events.stop();
  }

  /** Asks for a pass now: called after changes of desired state so clients do not wait for the interval. */
  wake(): void {
    this.loop.wake();
  }
}

/** Replicas waiting to accept connections, and the earliest restart still to come after a crash. */
async function pendingWork(
  dataSource: DataSource,
): Promise<{ starting: boolean; nextRestartAt: Date | null }> {
  const [row] = (await dataSource.query(
    `SELECT bool_or(state = 'starting') AS starting,
            min(next_restart_at) FILTER (WHERE next_restart_at > now()) AS "nextRestartAt"
       FROM replicas WHERE state <> 'gone'`,
  )) as { starting: boolean | null; nextRestartAt: Date | null }[];
  return { starting: row?.starting === true, nextRestartAt: row?.nextRestartAt ?? null };
}

/**
 * Work in progress brings the next pass forward (the interval may be long): a starting replica is checked
 * again within a second, a crashed one when its restart is due (never sooner than a second: no busy loop).
 */
export function nextPassFor(
  pending: { starting: boolean; nextRestartAt: Date | null },
  now = Date.now(),
): { nextPassInMs: number } | undefined {
  const due = [
    ...(pending.starting ? [STARTING_RECHECK_MS] : []),
    ...(pending.nextRestartAt ? [Math.max(STARTING_RECHECK_MS, pending.nextRestartAt.getTime() - now)] : []),
  ];
  return due.length > 0 ? { nextPassInMs: Math.min(...due) } : undefined;
}
