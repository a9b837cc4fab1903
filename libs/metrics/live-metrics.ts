import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ReplicaSamplesRepository } from './replica-samples.repository.js';
import type { ReplicaSample } from './replica-sample.entity.js';
import { cpuShareOf } from './sample-deltas.js';

/** Samples read per poll at most; a backlog (a slow database) is read over the next polls. */
const POLL_LIMIT = 2000;

/** What a live stream receives: the newest sample of each replica the sampler just read. */
export interface LiveMetricsMessage {
  type: 'metrics';
  replicas: {
    replica: string;
    role: string;
    at: string;
    intervalMs: number | null;
    cpuMillicores: number | null;
    cpuShare: number | null;
    memoryBytes: number;
    memoryLimitBytes: number;
    networkRxBytes: number | null;
    networkTxBytes: number | null;
    blockReadBytes: number | null;
    blockWriteBytes: number | null;
    pids: number;
    restarts: number;
    oomKills: number;
  }[];
}

type Listener = (message: LiveMetricsMessage) => void;

/**
 * New samples of watched apps for live streams: ONE poll per process (every BERTH_METRICS_INTERVAL_MS,
 * only while some stream watches an app) reads every watched app's samples written since the last poll,
 * in one query, whichever process sampled them. 1,000 watched apps cost one query per interval.
 */
@Injectable()
export class LiveMetrics implements OnApplicationShutdown {
  private readonly logger = new Logger('LiveMetrics');
  private readonly listeners = new Map<string, Set<Listener>>();
  private timer: NodeJS.Timeout | undefined;
  private afterId: string | undefined;
  private polling = false;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly samples: ReplicaSamplesRepository,
  ) {}

  /** Calls `listener` with each new sampling of the app; the returned function stops it. */
  watch(appId: string, listener: Listener): () => void {
    const set = this.listeners.get(appId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(appId, set);
    this.timer ??= setInterval(() => void this.poll(), this.config.metricsIntervalMs);
    this.timer.unref();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(appId);
      if (this.listeners.size === 0) this.stop();
    };
  }

  onApplicationShutdown(): void {
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.afterId = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.listeners.size === 0) return;
    this.polling = true;
    try {
      if (this.afterId === undefined) {
        // The first poll of a watch starts from now: streams get new samples, the REST route has the past.
        this.afterId = await this.samples.lastId();
        return;
      }
      const rows = await this.samples.newerOfApps([...this.listeners.keys()], this.afterId, POLL_LIMIT);
      if (rows.length === 0) return;
      this.afterId = rows[rows.length - 1]!.id;
      for (const [appId, appRows] of groupByApp(rows)) {
        const message = liveMessage(appRows);
        for (const listener of this.listeners.get(appId) ?? []) listener(message);
      }
    } catch (error) {
      this.logger.warn(`live metrics poll failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}

function groupByApp(rows: ReplicaSample[]): Map<string, ReplicaSample[]> {
  const byApp = new Map<string, ReplicaSample[]>();
  for (const row of rows) byApp.set(row.appId, [...(byApp.get(row.appId) ?? []), row]);
  return byApp;
}

/** The newest sample of each replica among `rows` (oldest first), as one message. */
export function liveMessage(rows: ReplicaSample[]): LiveMetricsMessage {
  const newest = new Map<string, ReplicaSample>();
  for (const row of rows) newest.set(row.replicaId, row);
  return {
    type: 'metrics',
    replicas: [...newest.values()].map((s) => ({
      replica: s.replicaId,
      role: s.role,
      at: s.sampledAt.toISOString(),
      intervalMs: s.intervalMs,
      cpuMillicores: s.cpuMillicores,
      cpuShare: cpuShareOf(s.cpuMillicores, s.cpuLimitMillicores),
      memoryBytes: s.memoryBytes,
      memoryLimitBytes: s.memoryLimitBytes,
      networkRxBytes: s.networkRxBytes,
      networkTxBytes: s.networkTxBytes,
      blockReadBytes: s.blockReadBytes,
      blockWriteBytes: s.blockWriteBytes,
      pids: s.pids,
      restarts: s.restarts,
      oomKills: s.oomKills,
    })),
  };
}
