import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { AppChanges } from '../apps/index.js';
import { countQueries } from '../db/index.js';
import { EnginePool } from '../hosts/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { EngineEventWatch } from './engine-event-watch.js';
import { ReadinessWatch } from './readiness-watch.js';
import { ReconcileSchedule } from './reconcile-schedule.js';
import { type ReconcilePass, Reconciler } from './reconciler.service.js';

/** What one pass cost, kept for operators and the scale bench (the newest PASS_HISTORY passes). */
export interface ReconcilePassRecord {
  kind: 'full' | 'apps';
  apps: number;
  ms: number;
  /** SQL statements the pass sent (countQueries), the leader-lock check of its tick included. */
  queries: number;
  at: Date;
}

const PASS_HISTORY = 50;
/** App ids are UUIDs (the apps table's primary key). */
const APP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs reconcile passes on what changed: apps marked by AppChanges (every process's, through LISTEN/NOTIFY),
 * by Docker events of their containers, and by their own last pass when it did not converge, each when it
 * is due (ReconcileSchedule); every BERTH_RECONCILE_RESYNC_MS a full pass covers every app. A tick comes at
 * least every BERTH_RECONCILE_INTERVAL_MS: it reads the hosts (one query) and turns a change of the host
 * list or of a host's status into a full pass, and otherwise costs nothing when no app is due.
 */
@Injectable()
export class ReconcileLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReconcileLoop');
  private readonly loop: ControlLoop;
  private readonly events: EngineEventWatch;
  private readonly schedule: ReconcileSchedule;
  private readonly passes: ReconcilePassRecord[] = [];
  private hostsSeen: string | undefined;
  private passCount = 0;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly reconciler: Reconciler,
    private readonly pool: EnginePool,
    private readonly changes: AppChanges,
    private readonly readinessWatch: ReadinessWatch,
  ) {
    this.schedule = new ReconcileSchedule(config.reconcileResyncMs);
    // A Docker event (a container died, was OOM-killed, vanished) marks its app; one without an app label
    // (never made by Berth today) asks for a full pass. An app label that is no app id of any Berth (a
    // hand-made or foreign container carrying berth labels) is not ours to look at.
    this.events = new EngineEventWatch(pool, (appId) => {
      if (appId === undefined) this.schedule.requestFull();
      else if (APP_ID.test(appId)) this.schedule.mark(appId, Date.now());
      else return;
      this.loop.wake();
    });
    this.loop = new ControlLoop({
      name: 'ReconcileLoop',
      lockKey: LOCK_KEYS.reconciler,
      intervalMs: config.reconcileIntervalMs,
      dataSource,
      work: async ({ newlyLeading }) => {
        // Marks gathered while another process led are not all there is: start over with a full pass.
        if (newlyLeading) this.schedule.requestFull();
        const { queries, result } = await countQueries(() => this.pass());
        if (result) this.record({ ...result, queries });
        const nextPassInMs = this.schedule.msUntilNextDue(Date.now());
        return nextPassInMs < config.reconcileIntervalMs ? { nextPassInMs } : undefined;
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    const markNow = (appId: string) => {
      if (!APP_ID.test(appId)) return;
      this.schedule.mark(appId, Date.now());
      this.loop.wake();
    };
    this.changes.onChange(markNow);
    this.readinessWatch.onAccepting(markNow);
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // The loop first: a pass still running would otherwise open new event streams after events.stop().
    await this.loop.stop();
    this.events.stop();
  }

  /** Asks for a pass over every app now. */
  wake(): void {
    this.schedule.requestFull();
    this.loop.wake();
  }

  /** The newest passes, oldest first (what each covered, took and cost). */
  recentPasses(): readonly ReconcilePassRecord[] {
    return [...this.passes];
  }

  private async pass(): Promise<Omit<ReconcilePassRecord, 'queries'> | undefined> {
    const started = performance.now();
    const hosts = await this.pool.hosts();
    const hostsNow = hosts.map((h) => `${h.id}:${h.status}`).join(',');
    if (hostsNow !== this.hostsSeen) {
      // A host added, removed, drained, down or back: every app placed on it may need to move.
      this.hostsSeen = hostsNow;
      this.schedule.requestFull();
    }
    // Watching first: the events of this pass's own acts (a removed replica's destroy) mark the app for
    // the next pass, even on the first pass of a process that just took the loop over.
    // A host whose events cannot be watched must not hold the pass up: the resync covers it.
    await this.events
      .ensure(hosts)
      .catch((error: Error) => this.logger.warn(`Docker events not watched: ${error.message}`));
    const scope = this.schedule.take(Date.now());
    if (scope.kind === 'apps' && scope.appIds.length === 0) return undefined;
    let done: ReconcilePass;
    try {
      done =
        scope.kind === 'full'
          ? await this.reconciler.reconcileAll()
          : await this.reconciler.reconcileApps(scope.appIds);
    } catch (error) {
      // The pass failed before its apps were looked at (e.g. the database or a host did not answer): they
      // stay due, after the interval, instead of waiting for the next resync.
      const retryAt = Date.now() + this.config.reconcileIntervalMs;
      if (scope.kind === 'full') this.schedule.requestFull();
      else for (const appId of scope.appIds) this.schedule.mark(appId, retryAt);
      throw error;
    }
    for (const [appId, at] of done.nextLooks) this.schedule.mark(appId, at.getTime());
    return { kind: scope.kind, apps: done.apps, ms: performance.now() - started, at: new Date() };
  }

  /** Passes this process ran since it started (only the lock holder runs any). */
  passesRun(): number {
    return this.passCount;
  }

  private record(pass: ReconcilePassRecord): void {
    this.passCount += 1;
    this.passes.push(pass);
    if (this.passes.length > PASS_HISTORY) this.passes.shift();
    this.logger.debug(
      `${pass.kind} pass: ${pass.apps} apps, ${Math.round(pass.ms)} ms, ${pass.queries} queries`,
    );
  }
}
