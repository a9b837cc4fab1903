import { EventEmitter } from 'node:events';
import { Injectable, Logger } from '@nestjs/common';
import { AppChanges, AppsRepository } from '../apps/index.js';
import { EnginePool } from '../hosts/index.js';
import { type Replica, ReplicasRepository } from '../runtime/index.js';
import { withoutReplays } from './follow-replays.js';
import { FollowStalledError, withStallCheck } from './follow-stalls.js';
import type { SourceLogLine } from './log-entry.js';
import { floorToDate } from './log-filter.js';
import type { LogHub } from './log-fanout.js';
import type { OpenLogs } from './log-hub-types.js';

/** Pause between two reads of an app's replicas while it is watched. */
export const WATCH_POLL_MS = 1000;
/** After a change of the app (scale, deploy, restart): poll this often for this long. */
const BURST_POLL_MS = 200;
const BURST_MS = 10_000;
/** A follow quiet this long is checked against the container's newest line (withStallCheck). */
export const STALL_CHECK_MS = 5000;

interface Attached {
  /** The container's start (ms) this registration follows: a restart of the same container is a new run. */
  startedAt: number;
  detach: () => void;
}

/**
 * Feeds the LogHub the containers of a watched app (LogHubOptions.watchApp). While the hub watches an app,
 * its replicas are read from the database every second, and every 200 ms for ten seconds after an
 * AppChanges signal (scale, deploy, restart: the reconciler creates and removes replicas right after it).
 * A replica whose container runs is attached; one that appears later, or a crashed container that was
 * started again, is attached with a "replica X started" line and followed from the container's own start,
 * so its first lines are not missed. A stopped container's follow ends by itself ("replica X stopped").
 *
 * Every follow starts at an instant, never "from now" with a tail: existing containers from the moment the
 * watch began, later ones from their start. A client resuming by cursor is spliced to these follows with
 * history read from the engine (LiveLogFeed).
 *
 * Polling the database (not only the in-process signal) keeps this right when another process (the worker)
 * runs the reconciler. When the app is deleted, listeners of `onAppGone` are told.
 */
@Injectable()
export class AppLogWatcher {
  private readonly logger = new Logger('AppLogWatcher');
  private readonly gone = new EventEmitter();

  constructor(
    private readonly replicaRows: ReplicasRepository,
    private readonly pool: EnginePool,
    private readonly changes: AppChanges,
    private readonly appRows: AppsRepository,
  ) {
    this.gone.setMaxListeners(0);
  }

  onAppGone(listener: (appId: string) => void): () => void {
    this.gone.on('gone', listener);
    return () => this.gone.off('gone', listener);
  }

  /** Runs until `signal` fires (the hub stopped watching the app) or the app is deleted. */
  async watch(hub: LogHub, appId: string, signal: AbortSignal): Promise<void> {
    const watchedFrom = new Date();
    const attached = new Map<string, Attached>();
    let burstUntil = 0;
    let wake: (() => void) | undefined;
    const stopListening = this.changes.onChange((changed) => {
      if (changed !== appId) return;
      burstUntil = Date.now() + BURST_MS;
      wake?.();
    });
    try {
      for (let first = true; !signal.aborted; first = false) {
        try {
          const deletingAt = await this.appRows.deletionOf(appId);
          if (signal.aborted) return;
          if (deletingAt !== null) {
            this.gone.emit('gone', appId);
            return;
          }
          const replicas = await this.replicaRows.startedWithContainerOfApp(appId);
          if (signal.aborted) return;
          for (const replica of replicas) this.attach(hub, replica, { attached, first, watchedFrom });
        } catch (error) {
          if (signal.aborted) return;
          this.logger.warn(`watching app ${appId}: ${(error as Error).message}`);
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, Date.now() < burstUntil ? BURST_POLL_MS : WATCH_POLL_MS);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        });
      }
    } finally {
      stopListening();
      for (const registration of attached.values()) registration.detach();
    }
  }

  private attach(
    hub: LogHub,
    replica: Replica,
    watch: { attached: Map<string, Attached>; first: boolean; watchedFrom: Date },
  ): void {
    const containerId = replica.containerId!;
    const startedAt = replica.startedAt?.getTime() ?? 0;
    const known = watch.attached.get(containerId);
    if (known && known.startedAt === startedAt) return;
    known?.detach(); // the same container started again: follow its new run
    const since = new Date(Math.max(watch.watchedFrom.getTime(), watch.first ? 0 : startedAt));
    const detach = hub.attach({
      app: replica.appId,
      key: containerId,
      replica: replica.id,
      announce: !watch.first,
      open: this.opener(replica.hostId, containerId, since),
    });
    watch.attached.set(containerId, { startedAt, detach });
  }

  /**
   * The container's follow: from `initialSince` when a watch starts, from the last line after a failure.
   * Lines Docker repeats after a log rotation are dropped (withoutReplays), and a follow that stalls while
   * the container logs on is ended so the hub reopens it (withStallCheck).
   */
  private opener(hostId: string, containerId: string, initialSince: Date): OpenLogs {
    const { pool, logger } = this;
    return (since, signal) =>
      (async function* follow(): AsyncGenerator<SourceLogLine> {
        const engine = await pool.engineFor(hostId);
        const from = since === undefined ? initialSince : floorToDate(since);
        const lines = withStallCheck({
          open: (inner) =>
            withoutReplays(
              engine.containerLogs({ id: containerId, follow: true, since: from, signal: inner }),
            ),
          newest: async () => {
            for await (const line of engine.containerLogs({ id: containerId, follow: false, tail: 1 })) {
              return line.timestamp;
            }
            return undefined;
          },
          since: since ?? initialSince.toISOString(),
          quietMs: STALL_CHECK_MS,
          signal,
        });
        try {
          yield* lines;
        } catch (error) {
          if (error instanceof FollowStalledError) {
            logger.warn(`log follow of container ${containerId.slice(0, 12)} stalled; reopening it`);
          }
          throw error;
        }
      })();
  }
}
