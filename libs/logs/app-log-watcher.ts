import { EventEmitter } from 'node:events';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { AppChanges } from '../apps/index.js';
import { containerLogBatchesOf } from '../engine/index.js';
import { EnginePool } from '../hosts/index.js';
import { appRouterLines, type RouterLogSource, RouterLogs } from '../ingress/index.js';
import { ReplicasRepository } from '../runtime/index.js';
import { withoutReplayedBatches } from './follow-replays.js';
import { FollowStalledError, withStallCheck } from './follow-stalls.js';
import type { SourceLogLine } from './log-entry.js';
import { floorToDate } from './log-filter.js';
import type { LogHub } from './log-fanout.js';
import type { OpenLogs } from './log-hub-types.js';
import { type WatchedAppState, WatchedAppsPoll, type WatchedReplica } from './watched-apps-poll.js';

/** Pause between two reads of the watched apps' replicas. */
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
 * Feeds the LogHub the containers of a watched app (LogHubOptions.watchApp). Every watched app's replicas
 * are read by one shared poll (WatchedAppsPoll: one query for all watched apps, every second, and every
 * 200 ms for ten seconds after an AppChanges signal of a watched app: the reconciler creates and removes
 * replicas right after it). A replica whose container runs is attached; one that appears later, or a
 * crashed container that was started again, is attached with a "replica X started" line and followed from
 * the container's own start, so its first lines are not missed. A stopped container's follow ends by
 * itself ("replica X stopped").
 *
 * Every follow starts at an instant, never "from now" with a tail: existing containers from the moment the
 * watch began, later ones from their start. A client resuming by cursor is spliced to these follows with
 * history read from the engine (LiveLogFeed).
 *
 * Polling the database (not only the signal) keeps this right when a notification is lost (another
 * process's, while this process's listening connection was down). When the app is deleted, listeners of
 * `onAppGone` are told.
 */
@Injectable()
export class AppLogWatcher {
  private readonly logger = new Logger('AppLogWatcher');
  private readonly gone = new EventEmitter();
  private readonly poll: WatchedAppsPoll;

  constructor(
    private readonly pool: EnginePool,
    changes: AppChanges,
    private readonly replicaRows: ReplicasRepository,
    @Optional() private readonly routerLogs?: RouterLogs,
  ) {
    this.gone.setMaxListeners(0);
    this.poll = new WatchedAppsPoll({
      read: (appIds) => readWatchedApps(this.replicaRows, appIds),
      intervalMs: WATCH_POLL_MS,
      burstIntervalMs: BURST_POLL_MS,
      burstMs: BURST_MS,
      onError: (error) => this.logger.warn(`reading watched apps: ${error.message}`),
    });
    changes.onChange((appId) => this.poll.changed(appId));
  }

  onAppGone(listener: (appId: string) => void): () => void {
    this.gone.on('gone', listener);
    return () => this.gone.off('gone', listener);
  }

  /** Runs until `signal` fires (the hub stopped watching the app) or the app is deleted. */
  async watch(hub: LogHub, appId: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const watchedFrom = new Date();
    const attached = new Map<string, Attached>();
    let first = true;
    let unsubscribe: (() => void) | undefined;
    const routers = await this.attachRouters(hub, appId, watchedFrom);
    try {
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        unsubscribe = this.poll.subscribe(appId, (state) => {
          if (signal.aborted) return;
          if (!state.exists) {
            this.gone.emit('gone', appId);
            resolve();
            return;
          }
          for (const replica of state.replicas) this.attach(hub, replica, { attached, first, watchedFrom });
          first = false;
        });
      });
    } finally {
      unsubscribe?.();
      for (const registration of attached.values()) registration.detach();
      for (const detach of routers) detach();
    }
  }

  /**
   * The app's `router` lines: each router's log followed from the watch's start and filtered to this
   * app's access lines. One follow per router and watched app (a router's log is every app's: a shared
   * follow fanned out by app would be cheaper with many watched apps). The routers are those of the
   * watch's start; a router on a host added later joins at the app's next watch.
   */
  private async attachRouters(hub: LogHub, appId: string, watchedFrom: Date): Promise<(() => void)[]> {
    let routers: RouterLogSource[] = [];
    try {
      routers = (await this.routerLogs?.routers()) ?? [];
    } catch (error) {
      this.logger.warn(`router logs of app ${appId} unavailable: ${(error as Error).message}`);
    }
    return routers.map((router) =>
      hub.attach({
        app: appId,
        key: `${router.replica}:${appId}`,
        containerId: router.container,
        replica: router.replica,
        open: this.routerOpener(router, appId, watchedFrom),
      }),
    );
  }

  /** Like `opener`, on the router's container; the stall check sees every line, the app only its own. */
  private routerOpener(router: RouterLogSource, appId: string, initialSince: Date): OpenLogs {
    const inner = this.opener(router.hostId, router.container, initialSince);
    return (since, signal) => appRouterLines(eachLine(inner(since, signal)), appId);
  }

  private attach(
    hub: LogHub,
    replica: WatchedReplica,
    watch: { attached: Map<string, Attached>; first: boolean; watchedFrom: Date },
  ): void {
    const containerId = replica.containerId;
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
  private opener(
    hostId: string,
    containerId: string,
    initialSince: Date,
  ): (since: string | undefined, signal: AbortSignal) => AsyncIterable<SourceLogLine[]> {
    const { pool, logger } = this;
    return (since, signal) =>
      (async function* follow(): AsyncGenerator<SourceLogLine[]> {
        const engine = await pool.engineFor(hostId);
        const from = since === undefined ? initialSince : floorToDate(since);
        const lines = withStallCheck({
          open: (inner) =>
            withoutReplayedBatches(
              containerLogBatchesOf(engine, { id: containerId, follow: true, since: from, signal: inner }),
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

/**
 * Every watched app and its replicas with a starting or running container, in two queries however many
 * apps are watched: an app missing from the answer, or being deleted, is gone.
 */
async function readWatchedApps(
  replicas: ReplicasRepository,
  appIds: string[],
): Promise<Map<string, WatchedAppState>> {
  const { presentAppIds, replicas: live } = await replicas.watchedAppsState(appIds);
  const states = new Map<string, WatchedAppState>(
    [...presentAppIds].map((id) => [id, { exists: true, replicas: [] }]),
  );
  for (const replica of live) {
    states.get(replica.appId)?.replicas.push({
      id: replica.id,
      appId: replica.appId,
      hostId: replica.hostId,
      containerId: replica.containerId!,
      startedAt: replica.startedAt,
    });
  }
  return states;
}

/** The lines of a follow read in batches, one by one. */
async function* eachLine(batches: AsyncIterable<SourceLogLine[]>): AsyncGenerator<SourceLogLine> {
  for await (const batch of batches) yield* batch;
}
