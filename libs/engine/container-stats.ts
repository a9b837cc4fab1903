import type { ContainerEngine } from './container-engine.js';
import { EngineCapabilityNotSupportedError } from './engine-errors.js';

/**
 * Optional ability, outside the core ContainerEngine: one reading of a container's cumulative resource
 * counters, as the kernel keeps them since the container (its cgroup) last started. A sampler takes the
 * difference of two readings of the same run, so one call per container per sample is enough (the core
 * `stats` waits a second for Docker's own two readings). An engine without it throws
 * EngineCapabilityNotSupportedError from `statsCapabilityOf`.
 */
export interface ContainerStatsCapability {
  /** `undefined` when the container is absent; every other failure rejects with an EngineError. */
  readContainerCounters(options: {
    id: string;
    signal?: AbortSignal;
  }): Promise<ContainerCounters | undefined>;
}

export interface ContainerCounters {
  /** When the engine read the counters. */
  readAt: Date;
  /** CPU time used since the container started, all CPUs together, in nanoseconds. */
  cpuNanos: number;
  /** Memory in use without the inactive file cache (what `docker stats` shows; what counts toward an OOM kill). */
  memoryBytes: number;
  memoryLimitBytes: number;
  /** Summed over the container's interfaces, since it started. */
  networkRxBytes: number;
  networkTxBytes: number;
  /** Summed over block devices, since it started. */
  blockReadBytes: number;
  blockWriteBytes: number;
  /** Processes and threads now. */
  pids: number;
}

/** True when `engine` has the stats ability. */
export function hasStatsCapability(
  engine: ContainerEngine,
): engine is ContainerEngine & ContainerStatsCapability {
  return typeof (engine as Partial<ContainerStatsCapability>).readContainerCounters === 'function';
}

/** The stats ability of `engine`, or EngineCapabilityNotSupportedError when it has none. */
export function statsCapabilityOf(engine: ContainerEngine): ContainerStatsCapability {
  if (!hasStatsCapability(engine)) {
    throw new EngineCapabilityNotSupportedError({ capability: 'stats', engine: engine.constructor.name });
  }
  return engine;
}
