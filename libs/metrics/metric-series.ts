import { problems } from '../errors/index.js';
import { cpuShareOf } from './sample-deltas.js';

/** Points one series may hold: a range over a step beyond this is refused (400 too_many_points). */
export const MAX_POINTS = 1000;
export const DEFAULT_RANGE_SECONDS = 3600;
export const DEFAULT_STEP_SECONDS = 60;

/** How each figure of a bucket is made from the samples in it, per replica, then across replicas. */
export const AGGREGATION = {
  cpuMillicores: 'avg per replica, summed across replicas',
  cpuShare: 'cpuMillicores / the CPU limits of the replicas counted',
  memoryBytes: 'max per replica, summed across replicas',
  memoryLimitBytes: 'max per replica, summed across replicas',
  networkRxBytes: 'sum',
  networkTxBytes: 'sum',
  blockReadBytes: 'sum',
  blockWriteBytes: 'sum',
  pids: 'max per replica, summed across replicas',
  restarts: 'sum',
  oomKills: 'sum',
} as const;

export interface MetricsRange {
  from: Date;
  to: Date;
  stepSeconds: number;
}

/**
 * The range a query asks for, checked: `to` defaults to now, `from` to an hour before `to`, the step to
 * a minute; from < to; at most MAX_POINTS buckets. Buckets are aligned to the epoch (a multiple of the
 * step), so the same step always cuts the same buckets.
 */
export function metricsRange(
  query: { from?: Date; to?: Date; stepSeconds?: number },
  now: Date,
): MetricsRange {
  const to = query.to ?? now;
  const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_SECONDS * 1000);
  const stepSeconds = query.stepSeconds ?? DEFAULT_STEP_SECONDS;
  if (from >= to) throw problems.badRequest('invalid_time_range', 'from must be before to');
  const points = Math.ceil((to.getTime() - from.getTime()) / 1000 / stepSeconds);
  if (points > MAX_POINTS) {
    throw problems.badRequest(
      'too_many_points',
      `${points} points of ${stepSeconds} s between from and to; at most ${MAX_POINTS}: raise step or narrow the range`,
    );
  }
  return { from, to, stepSeconds };
}

/** One bucket of one replica, as the repository aggregates the samples in it. */
export interface ReplicaBucket {
  bucketStart: Date;
  replicaId: string;
  role: string;
  samples: number;
  cpuMillicores: number | null;
  cpuLimitMillicores: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
  restarts: number;
  oomKills: number;
}

export interface MetricPoint {
  at: Date;
  /** Samples in the bucket (all replicas). */
  samples: number;
  /** Replicas with a sample in the bucket. */
  replicas: number;
  cpuMillicores: number | null;
  cpuShare: number | null;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
  restarts: number;
  oomKills: number;
}

export interface MetricSeries {
  /** null: every replica of the app summed. */
  replica: string | null;
  role: string | null;
  points: MetricPoint[];
}

/** One series per replica, points oldest first. */
export function perReplicaSeries(buckets: ReplicaBucket[]): MetricSeries[] {
  const byReplica = new Map<string, ReplicaBucket[]>();
  for (const bucket of buckets) {
    const list = byReplica.get(bucket.replicaId) ?? [];
    list.push(bucket);
    byReplica.set(bucket.replicaId, list);
  }
  return [...byReplica.entries()].map(([replica, list]) => ({
    replica,
    role: list[0]!.role,
    points: sortedPoints(list.map((b) => sumBuckets(b.bucketStart, [b]))),
  }));
}

/** One series: each bucket's replicas added up (an app's total CPU, memory and bytes). */
export function summedSeries(buckets: ReplicaBucket[]): MetricSeries {
  const byStart = new Map<number, ReplicaBucket[]>();
  for (const bucket of buckets) {
    const key = bucket.bucketStart.getTime();
    const list = byStart.get(key) ?? [];
    list.push(bucket);
    byStart.set(key, list);
  }
  const points = [...byStart.entries()].map(([start, list]) => sumBuckets(new Date(start), list));
  return { replica: null, role: null, points: sortedPoints(points) };
}

function sumBuckets(at: Date, list: ReplicaBucket[]): MetricPoint {
  const withCpu = list.filter((b) => b.cpuMillicores !== null);
  const cpuMillicores = withCpu.length ? sum(withCpu, (b) => b.cpuMillicores!) : null;
  return {
    at,
    samples: sum(list, (b) => b.samples),
    replicas: list.length,
    cpuMillicores,
    cpuShare: cpuShareOf(
      cpuMillicores,
      sum(withCpu, (b) => b.cpuLimitMillicores),
    ),
    memoryBytes: sum(list, (b) => b.memoryBytes),
    memoryLimitBytes: sum(list, (b) => b.memoryLimitBytes),
    networkRxBytes: sum(list, (b) => b.networkRxBytes),
    networkTxBytes: sum(list, (b) => b.networkTxBytes),
    blockReadBytes: sum(list, (b) => b.blockReadBytes),
    blockWriteBytes: sum(list, (b) => b.blockWriteBytes),
    pids: sum(list, (b) => b.pids),
    restarts: sum(list, (b) => b.restarts),
    oomKills: sum(list, (b) => b.oomKills),
  };
}

function sum<T>(list: T[], value: (item: T) => number): number {
  return list.reduce((total, item) => total + value(item), 0);
}

function sortedPoints(points: MetricPoint[]): MetricPoint[] {
  return points.sort((a, b) => a.at.getTime() - b.at.getTime());
}
