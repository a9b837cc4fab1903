import type Docker from 'dockerode';
import { toContainerCounters } from './docker-stats.js';

const MB = 1024 * 1024;

describe('toContainerCounters', () => {
  it('reads cgroup v1 counters: memory without the inactive file cache, Read/Write block ops, every interface', () => {
    const raw = {
      read: '2026-12-05T14:00:00.123456789Z',
      memory_stats: { usage: 100 * MB, limit: 256 * MB, stats: { total_inactive_file: 20 * MB } },
      cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
      precpu_stats: { cpu_usage: {} },
      networks: { eth0: { rx_bytes: 1000, tx_bytes: 200 }, eth1: { rx_bytes: 5, tx_bytes: 7 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { major: 8, minor: 0, op: 'Read', value: 4096 },
          { major: 8, minor: 0, op: 'Write', value: 8192 },
          { major: 8, minor: 0, op: 'Total', value: 12288 },
          { major: 8, minor: 16, op: 'Read', value: 1 },
        ],
      },
      pids_stats: { current: 9 },
    } as unknown as Docker.ContainerStats;
    expect(toContainerCounters(raw)).toEqual({
      readAt: new Date('2026-12-05T14:00:00.123Z'),
      cpuNanos: 2_500_000_000,
      memoryBytes: 80 * MB,
      memoryLimitBytes: 256 * MB,
      networkRxBytes: 1005,
      networkTxBytes: 207,
      blockReadBytes: 4097,
      blockWriteBytes: 8192,
      pids: 9,
    });
  });

  it('reads cgroup v2 names (inactive_file, lower-case ops) and a stopped container without networks or blkio', () => {
    const v2 = {
      read: '2026-12-05T14:00:00Z',
      memory_stats: { usage: 50 * MB, limit: 64 * MB, stats: { inactive_file: 10 * MB } },
      cpu_stats: { cpu_usage: { total_usage: 7 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: 'read', value: 3 },
          { op: 'write', value: 4 },
        ],
      },
    } as unknown as Docker.ContainerStats;
    expect(toContainerCounters(v2)).toMatchObject({
      memoryBytes: 40 * MB,
      blockReadBytes: 3,
      blockWriteBytes: 4,
      cpuNanos: 7,
    });
    const stopped = {
      read: '0001-01-01T00:00:00Z',
      memory_stats: {},
      cpu_stats: { cpu_usage: { total_usage: 0 } },
      blkio_stats: { io_service_bytes_recursive: null },
    } as unknown as Docker.ContainerStats;
    const counters = toContainerCounters(stopped);
    expect(counters).toMatchObject({ memoryBytes: 0, networkRxBytes: 0, blockReadBytes: 0, pids: 0 });
    expect(counters.readAt.getTime()).toBeGreaterThan(0);
  });
});
