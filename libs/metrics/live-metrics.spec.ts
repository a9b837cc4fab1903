import { liveMessage } from './live-metrics.js';
import type { ReplicaSample } from './replica-sample.entity.js';

function sample(replicaId: string, seconds: number, cpuMillicores: number | null): ReplicaSample {
  return {
    id: String(seconds),
    replicaId,
    appId: 'a1',
    tenantId: 't1',
    role: 'web',
    containerId: 'c',
    sampledAt: new Date(Date.UTC(2026, 11, 5, 14, 0, seconds)),
    intervalMs: 10_000,
    cpuMillicores,
    cpuLimitMillicores: 500,
    memoryBytes: 1000 + seconds,
    memoryLimitBytes: 4000,
    networkRxBytes: 1,
    networkTxBytes: 2,
    blockReadBytes: 3,
    blockWriteBytes: 4,
    pids: 5,
    restarts: 0,
    oomKills: 0,
    cpuNanosTotal: 0,
    networkRxTotal: 0,
    networkTxTotal: 0,
    blockReadTotal: 0,
    blockWriteTotal: 0,
    restartsTotal: 0,
  };
}

describe('liveMessage', () => {
  it("sends the newest sample of each replica (a poll may span two samplings), with CPU as a share of the replica's limit", () => {
    const message = liveMessage([sample('r1', 0, 100), sample('r2', 0, null), sample('r1', 10, 250)]);
    expect(message.type).toBe('metrics');
    expect(message.replicas).toEqual([
      expect.objectContaining({
        replica: 'r1',
        at: '2026-12-05T14:00:10.000Z',
        cpuMillicores: 250,
        cpuShare: 0.5,
        memoryBytes: 1010,
      }),
      expect.objectContaining({ replica: 'r2', cpuMillicores: null, cpuShare: null }),
    ]);
  });
});
