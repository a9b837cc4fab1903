import type { ContainerCounters } from '../engine/index.js';

/** What the sampler knows of a replica from the runtime's row. */
export interface SampledReplica {
  id: string;
  appId: string;
  tenantId: string;
  role: string;
  containerId: string;
  /** When its container last started (the runtime's row); its counters count from then. */
  startedAt: Date | null;
  cpuMillis: number;
  memoryMb: number;
  /** The runtime's cumulative restart count, and whether the last exit was an OOM kill. */
  restarts: number;
  oomKilled: boolean;
}

/** The cumulative readings a stored sample carries, for the next one's difference. */
export interface PreviousReading {
  containerId: string;
  sampledAt: Date;
  cpuNanosTotal: number;
  networkRxTotal: number;
  networkTxTotal: number;
  blockReadTotal: number;
  blockWriteTotal: number;
  restartsTotal: number;
}

export interface SampleValues {
  replicaId: string;
  appId: string;
  tenantId: string;
  role: string;
  containerId: string;
  sampledAt: Date;
  intervalMs: number | null;
  cpuMillicores: number | null;
  cpuLimitMillicores: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number | null;
  networkTxBytes: number | null;
  blockReadBytes: number | null;
  blockWriteBytes: number | null;
  pids: number;
  restarts: number;
  oomKills: number;
  cpuNanosTotal: number;
  networkRxTotal: number;
  networkTxTotal: number;
  blockReadTotal: number;
  blockWriteTotal: number;
  restartsTotal: number;
}

/**
 * One sample from a reading of cumulative counters. The interval starts at the previous sample when it
 * was taken of the same run (same container, after its last start, every counter at or below today's);
 * otherwise at the run's start, whose counters were zero (a cgroup counts from its container's start).
 * When neither is known the sample keeps memory and pids only. Restarts count from the previous sample
 * (none without one); a restart after an OOM kill counts as one OOM kill (the runtime keeps the reason
 * of the last exit only, so two OOM kills in one interval count once).
 */
export function sampleFrom(input: {
  replica: SampledReplica;
  counters: ContainerCounters;
  previous: PreviousReading | undefined;
}): SampleValues {
  const { replica, counters, previous } = input;
  const totals = {
    cpuNanosTotal: counters.cpuNanos,
    networkRxTotal: counters.networkRxBytes,
    networkTxTotal: counters.networkTxBytes,
    blockReadTotal: counters.blockReadBytes,
    blockWriteTotal: counters.blockWriteBytes,
  };
  const baseline = baselineOf(replica, counters.readAt, totals, previous);
  const restarts = previous ? Math.max(0, replica.restarts - previous.restartsTotal) : 0;
  const memoryLimitBytes = counters.memoryLimitBytes || replica.memoryMb * 1024 * 1024;
  const common = {
    replicaId: replica.id,
    appId: replica.appId,
    tenantId: replica.tenantId,
    role: replica.role,
    containerId: replica.containerId,
    sampledAt: counters.readAt,
    cpuLimitMillicores: replica.cpuMillis,
    memoryBytes: counters.memoryBytes,
    memoryLimitBytes,
    pids: counters.pids,
    restarts,
    oomKills: restarts > 0 && replica.oomKilled ? 1 : 0,
    ...totals,
    restartsTotal: replica.restarts,
  };
  if (!baseline) {
    return {
      ...common,
      intervalMs: null,
      cpuMillicores: null,
      networkRxBytes: null,
      networkTxBytes: null,
      blockReadBytes: null,
      blockWriteBytes: null,
    };
  }
  const intervalMs = counters.readAt.getTime() - baseline.at.getTime();
  const cpuNanos = totals.cpuNanosTotal - baseline.cpuNanosTotal;
  return {
    ...common,
    intervalMs,
    // ns of CPU per ns of wall time is cores; a thousandth of a core is a millicore.
    cpuMillicores: (cpuNanos / (intervalMs * 1_000_000)) * 1000,
    networkRxBytes: totals.networkRxTotal - baseline.networkRxTotal,
    networkTxBytes: totals.networkTxTotal - baseline.networkTxTotal,
    blockReadBytes: totals.blockReadTotal - baseline.blockReadTotal,
    blockWriteBytes: totals.blockWriteTotal - baseline.blockWriteTotal,
  };
}

type Totals = Pick<
  PreviousReading,
  'cpuNanosTotal' | 'networkRxTotal' | 'networkTxTotal' | 'blockReadTotal' | 'blockWriteTotal'
>;

function baselineOf(
  replica: SampledReplica,
  readAt: Date,
  now: Totals,
  previous: PreviousReading | undefined,
): (Totals & { at: Date }) | undefined {
  const sameRun =
    previous !== undefined &&
    previous.containerId === replica.containerId &&
    previous.sampledAt < readAt &&
    (replica.startedAt === null || previous.sampledAt >= replica.startedAt) &&
    now.cpuNanosTotal >= previous.cpuNanosTotal &&
    now.networkRxTotal >= previous.networkRxTotal &&
    now.networkTxTotal >= previous.networkTxTotal &&
    now.blockReadTotal >= previous.blockReadTotal &&
    now.blockWriteTotal >= previous.blockWriteTotal;
  if (sameRun) return { ...previous, at: previous.sampledAt };
  if (replica.startedAt !== null && replica.startedAt < readAt) {
    return {
      at: replica.startedAt,
      cpuNanosTotal: 0,
      networkRxTotal: 0,
      networkTxTotal: 0,
      blockReadTotal: 0,
      blockWriteTotal: 0,
    };
  }
  return undefined;
}

/** CPU used as a share of the replica's CPU limit (1 = the whole limit); null without a limit or a CPU figure. */
export function cpuShareOf(cpuMillicores: number | null, cpuLimitMillicores: number): number | null {
  if (cpuMillicores === null || cpuLimitMillicores <= 0) return null;
  return cpuMillicores / cpuLimitMillicores;
}
