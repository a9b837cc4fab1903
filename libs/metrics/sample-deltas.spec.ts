import type { ContainerCounters } from '../engine/index.js';
import { cpuShareOf, sampleFrom, type PreviousReading, type SampledReplica } from './sample-deltas.js';

const MB = 1024 * 1024;
const t0 = new Date('2026-12-05T14:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

const replica: SampledReplica = {
  id: 'r1',
  appId: 'a1',
  tenantId: 't1',
  role: 'web',
  containerId: 'c1',
  startedAt: t0,
  cpuMillis: 500,
  memoryMb: 256,
  restarts: 0,
  oomKilled: false,
};

function counters(readAtSeconds: number, over: Partial<ContainerCounters> = {}): ContainerCounters {
  return {
    readAt: at(readAtSeconds),
    cpuNanos: 0,
    memoryBytes: 40 * MB,
    memoryLimitBytes: 256 * MB,
    networkRxBytes: 0,
    networkTxBytes: 0,
    blockReadBytes: 0,
    blockWriteBytes: 0,
    pids: 7,
    ...over,
  };
}

function previousAt(seconds: number, over: Partial<PreviousReading> = {}): PreviousReading {
  return {
    containerId: 'c1',
    sampledAt: at(seconds),
    cpuNanosTotal: 1_000_000_000,
    networkRxTotal: 1000,
    networkTxTotal: 100,
    blockReadTotal: 0,
    blockWriteTotal: 4096,
    restartsTotal: 0,
    ...over,
  };
}

describe('sampleFrom', () => {
  it('takes the difference from the previous sample of the same run', () => {
    const sample = sampleFrom({
      replica,
      previous: previousAt(10),
      // 2.5 s of CPU in 10 s: a quarter of a core, half the 500 m limit
      counters: counters(20, {
        cpuNanos: 3_500_000_000,
        networkRxBytes: 6000,
        networkTxBytes: 300,
        blockWriteBytes: 8192,
      }),
    });
    expect(sample).toMatchObject({
      intervalMs: 10_000,
      cpuMillicores: 250,
      networkRxBytes: 5000,
      networkTxBytes: 200,
      blockReadBytes: 0,
      blockWriteBytes: 4096,
      memoryBytes: 40 * MB,
      pids: 7,
      cpuNanosTotal: 3_500_000_000,
      restarts: 0,
      oomKills: 0,
    });
    expect(cpuShareOf(sample.cpuMillicores, sample.cpuLimitMillicores)).toBe(0.5);
  });

  it('counts from the run start when the first sample of a replica is taken', () => {
    const sample = sampleFrom({
      replica,
      previous: undefined,
      counters: counters(4, { cpuNanos: 2_000_000_000 }),
    });
    expect(sample.intervalMs).toBe(4000);
    expect(sample.cpuMillicores).toBe(500);
  });

  it('never takes a difference across a restart: a new container, a start after the sample, or a counter that went back', () => {
    const restarted = { ...replica, startedAt: at(15), restarts: 1 };
    const sinceStart = sampleFrom({
      replica: restarted,
      previous: previousAt(10),
      counters: counters(20, { cpuNanos: 500_000_000 }),
    });
    expect(sinceStart.intervalMs).toBe(5000);
    expect(sinceStart.cpuMillicores).toBe(100);
    expect(sinceStart.restarts).toBe(1);

    const otherContainer = sampleFrom({
      replica: { ...replica, containerId: 'c2' },
      previous: previousAt(10),
      counters: counters(20, { cpuNanos: 2_000_000_000 }),
    });
    expect(otherContainer.intervalMs).toBe(20_000);

    const wentBack = sampleFrom({
      replica,
      previous: previousAt(10),
      counters: counters(20, { networkRxBytes: 10 }),
    });
    expect(wentBack.intervalMs).toBe(20_000);
    expect(wentBack.networkRxBytes).toBe(10);
  });

  it('keeps memory and pids only when neither a previous sample nor the run start is known', () => {
    const sample = sampleFrom({
      replica: { ...replica, startedAt: null },
      previous: undefined,
      counters: counters(3),
    });
    expect(sample).toMatchObject({
      intervalMs: null,
      cpuMillicores: null,
      networkRxBytes: null,
      memoryBytes: 40 * MB,
      pids: 7,
    });
  });

  it('counts a restart whose last exit was an OOM kill as one OOM kill', () => {
    const oom = { ...replica, startedAt: at(12), restarts: 3, oomKilled: true };
    const sample = sampleFrom({
      replica: oom,
      previous: previousAt(10, { restartsTotal: 1 }),
      counters: counters(20),
    });
    expect(sample).toMatchObject({ restarts: 2, oomKills: 1, restartsTotal: 3 });
    const noRestart = sampleFrom({
      replica: oom,
      previous: previousAt(13, { restartsTotal: 3 }),
      counters: counters(20),
    });
    expect(noRestart).toMatchObject({ restarts: 0, oomKills: 0 });
  });

  it('falls back to the plan size for the memory limit when the engine reports none', () => {
    const sample = sampleFrom({
      replica,
      previous: undefined,
      counters: counters(5, { memoryLimitBytes: 0, memoryBytes: 300 * MB }),
    });
    expect(sample.memoryLimitBytes).toBe(256 * MB);
    expect(sample.memoryBytes).toBe(300 * MB);
  });
});
