import { Injectable, Logger, Optional } from '@nestjs/common';
import { EngineError } from '../engine/index.js';
import { EnginePool } from '../hosts/index.js';
import { appRouterLines, type RouterLogSource, RouterLogs } from '../ingress/index.js';
import { type Replica, ReplicasRepository } from '../runtime/index.js';
import { LogArchiveStore, utcDay } from './archive/log-archive-store.js';
import { withoutReplays } from './follow-replays.js';
import {
  type AppLogEntryWithoutSeq,
  type LogPosition,
  compareLogPositions,
  parseCursor,
  toAppEntries,
} from './log-entry.js';
import { ceilToDate, floorToDate } from './log-filter.js';
import { type LogFilter, mergeByTimestamp } from './log-merge.js';

/** Longer lines are cut, as in the live hub. */
export const MAX_LINE_BYTES = 16 * 1024;
/**
 * A read of a router's log with no start (no since, no cursor) takes only its last this many records: the
 * log is every app's (up to 30 MB), and a page of the app's last lines must not scan all of it.
 */
export const ROUTER_SCAN_RECORDS = 20_000;
/** Replicas read per request at most (the newest). */
const MAX_SOURCES = 50;
/** A replica removed longer ago than this is not read (its container is gone, or soon will be). */
const GONE_WINDOW_MS = 3600_000;

export interface LogReadOptions {
  signal?: AbortSignal;
  /** A replica whose engine failed (other than "container absent"): its lines are left out. */
  onUnavailable?: (replicaId: string, error: unknown) => void;
}

/**
 * Finite reads of an app's log for REST and for live history, merged in time order (`mergeByTimestamp`):
 * - the archive (LogArchiveStore): every replica's lines up to its watermark, gone replicas' included, in
 *   one SQL statement per chunk;
 * - each replica container that may still hold lines (every replica not gone, and those gone within the
 *   last hour: a crashed or stopping container still has its log), read from its host's engine, from its
 *   watermark on (only what the archive does not have);
 * - the edge routers' logs (`router` lines).
 * `since`, `until` and, when it cannot change the result, a per-replica `tail` go to the engine too, so
 * reads stay short; the merge applies every filter exactly, so a line has the same position and cursor
 * whichever source gave it.
 */
@Injectable()
export class AppLogReader {
  private readonly logger = new Logger('AppLogReader');

  constructor(
    private readonly replicaRows: ReplicasRepository,
    private readonly pool: EnginePool,
    private readonly archive: LogArchiveStore,
    @Optional() private readonly routerLogs?: RouterLogs,
  ) {}

  /** `filter` must have been checked (checkedLogFilter). */
  async *read(
    appId: string,
    filter: LogFilter,
    options: LogReadOptions = {},
  ): AsyncGenerator<AppLogEntryWithoutSeq> {
    const replicas = await this.replicasWithLogs(appId, filter);
    const routers = await this.routersWithLogs(filter);
    const archived = !filter.streams || filter.streams.some((s) => s === 'stdout' || s === 'stderr');
    const watermarks = archived ? await this.archive.watermarksOfApp(appId) : new Map<string, LogPosition>();
    yield* mergeByTimestamp(
      [
        ...(archived ? [this.archive.read(appId, filter, utcDay())] : []),
        ...replicas.map((replica) => this.source(replica, filter, options, watermarks.get(replica.id))),
        ...routers.map((router) => this.routerSource(appId, router, filter, options)),
      ],
      filter,
    );
  }

  /** The edge routers' logs hold the app's `router` lines; a replica filter (replica ids) leaves them out. */
  private async routersWithLogs(filter: LogFilter): Promise<RouterLogSource[]> {
    if (!this.routerLogs || filter.replicas || (filter.streams && !filter.streams.includes('router'))) {
      return [];
    }
    return this.routerLogs.routers();
  }

  private replicasWithLogs(appId: string, filter: LogFilter): Promise<Replica[]> {
    const ids = filter.replicas?.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    if (ids?.length === 0) return Promise.resolve([]);
    // `?stream=router` alone: only the routers' logs hold such lines.
    if (filter.streams && !filter.streams.some((s) => s === 'stdout' || s === 'stderr')) {
      return Promise.resolve([]);
    }
    return this.replicaRows.withLogsOfApp(appId, {
      goneAfter: new Date(Date.now() - GONE_WINDOW_MS),
      ...(filter.since ? { since: floorToDate(filter.since) } : {}),
      ...(ids ? { ids } : {}),
      limit: MAX_SOURCES,
    });
  }

  /**
   * The app's lines of one router's log. Its log is every app's, so the request's `tail` cannot go to the
   * engine (the app's last lines are not the log's last records); `since`/`until` bound the read, and
   * without a start only the log's last ROUTER_SCAN_RECORDS records are read.
   */
  private async *routerSource(
    appId: string,
    router: RouterLogSource,
    filter: LogFilter,
    options: LogReadOptions,
  ): AsyncGenerator<AppLogEntryWithoutSeq> {
    const since = sinceOf(filter);
    try {
      const engine = await this.pool.engineFor(router.hostId);
      const lines = engine.containerLogs({
        id: router.container,
        follow: false,
        ...(since ? { since } : { tail: ROUTER_SCAN_RECORDS }),
        ...(filter.until ? { until: ceilToDate(filter.until) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      yield* toAppEntries(appRouterLines(withoutReplays(lines), appId), {
        replica: router.replica,
        containerId: router.container,
        maxLineBytes: MAX_LINE_BYTES,
      });
    } catch (error) {
      if (options.signal?.aborted) return;
      if (error instanceof EngineError && error.notFound) return; // no router on that host
      this.logger.warn(`router log on host ${router.hostId} unavailable: ${(error as Error).message}`);
    }
  }

  /** The replica's lines after `watermark` (those up to it come from the archive). */
  private async *source(
    replica: Replica,
    filter: LogFilter,
    options: LogReadOptions,
    watermark: LogPosition | undefined,
  ): AsyncGenerator<AppLogEntryWithoutSeq> {
    const since = laterOf(sinceOf(filter), watermark && floorToDate(watermark.timestamp));
    // Docker's tail counts the last records of the container; it cannot change the merged tail only when no
    // other filter removes records after it.
    const engineTail =
      filter.tail !== undefined && !filter.until && !filter.after && !filter.streams
        ? filter.tail
        : undefined;
    try {
      const engine = await this.pool.engineFor(replica.hostId);
      const lines = engine.containerLogs({
        id: replica.containerId!,
        follow: false,
        ...(since ? { since } : {}),
        ...(filter.until ? { until: ceilToDate(filter.until) } : {}),
        ...(engineTail !== undefined ? { tail: engineTail } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const entries = toAppEntries(withoutReplays(lines), {
        replica: replica.id,
        containerId: replica.containerId!,
        maxLineBytes: MAX_LINE_BYTES,
      });
      for await (const entry of entries) {
        if (!watermark || compareLogPositions(entry, watermark) > 0) yield entry;
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      if (error instanceof EngineError && error.notFound) return; // the container is gone, and its log
      this.logger.warn(`logs of replica ${replica.id} unavailable: ${(error as Error).message}`);
      options.onUnavailable?.(replica.id, error);
    }
  }
}

function laterOf(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a || !b) return a ?? b;
  return a.getTime() >= b.getTime() ? a : b;
}

/** The engine's `since` for a filter: the later of `since` and the cursor's instant, rounded down. */
function sinceOf(filter: LogFilter): Date | undefined {
  const after = filter.after === undefined ? undefined : parseCursor(filter.after).timestamp;
  const from = [filter.since, after].filter((t): t is string => t !== undefined).map(floorToDate);
  return from.length > 0 ? new Date(Math.max(...from.map((d) => d.getTime()))) : undefined;
}
