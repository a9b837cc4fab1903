import type Docker from 'dockerode';
import type { ContainerCounters } from './container-stats.js';
import { dockerCallAbsentOn404 } from './docker-errors.js';

/** One reading without Docker's second sample (`one-shot`, Engine API 1.41): the counters are cumulative. */
export async function dockerContainerCounters(
  docker: Docker,
  options: { id: string; signal?: AbortSignal },
): Promise<ContainerCounters | undefined> {
  const raw = await dockerCallAbsentOn404('stats', () =>
    docker.getContainer(options.id).stats({
      stream: false,
      'one-shot': true,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    } as { stream: false; 'one-shot': boolean }),
  );
  return raw === undefined ? undefined : toContainerCounters(raw);
}

interface BlkioEntry {
  op?: string;
  value?: number;
}

/**
 * Maps the Engine API's stats document (cgroup v1 and v2) to counters. Memory is usage minus the inactive
 * file cache, as `docker stats` computes it (`total_inactive_file` on v1, `inactive_file` on v2). Block
 * I/O ops are "Read"/"Write" on v1 and "read"/"write" on v2.
 */
export function toContainerCounters(raw: Docker.ContainerStats): ContainerCounters {
  const memory = raw.memory_stats ?? {};
  const details = (memory.stats ?? {}) as Partial<Record<string, number>>;
  const inactiveFile = details.total_inactive_file ?? details.inactive_file ?? 0;
  let networkRxBytes = 0;
  let networkTxBytes = 0;
  for (const network of Object.values(raw.networks ?? {})) {
    networkRxBytes += network.rx_bytes ?? 0;
    networkTxBytes += network.tx_bytes ?? 0;
  }
  let blockReadBytes = 0;
  let blockWriteBytes = 0;
  const blkio = (raw.blkio_stats?.io_service_bytes_recursive ?? []) as BlkioEntry[] | null;
  for (const entry of blkio ?? []) {
    const op = entry.op?.toLowerCase();
    if (op === 'read') blockReadBytes += entry.value ?? 0;
    else if (op === 'write') blockWriteBytes += entry.value ?? 0;
  }
  const readAt = new Date(raw.read);
  return {
    readAt: Number.isNaN(readAt.getTime()) || readAt.getTime() <= 0 ? new Date() : readAt,
    cpuNanos: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
    memoryBytes: Math.max(0, (memory.usage ?? 0) - inactiveFile),
    memoryLimitBytes: memory.limit ?? 0,
    networkRxBytes,
    networkTxBytes,
    blockReadBytes,
    blockWriteBytes,
    pids: raw.pids_stats?.current ?? 0,
  };
}
