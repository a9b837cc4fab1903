import { ProblemError } from '../errors/index.js';
import {
  MAX_POINTS,
  metricsRange,
  perReplicaSeries,
  summedSeries,
  type ReplicaBucket,
} from './metric-series.js';

const now = new Date('2026-12-05T14:00:00Z');
const minute = (m: number) => new Date(now.getTime() + m * 60_000);

function bucket(over: Partial<ReplicaBucket>): ReplicaBucket {
  return {
    bucketStart: minute(0),
    replicaId: 'r1',
    role: 'web',
    samples: 6,
    cpuMillicores: 100,
    cpuLimitMillicores: 500,
    memoryBytes: 1000,
    memoryLimitBytes: 4000,
    networkRxBytes: 10,
    networkTxBytes: 20,
    blockReadBytes: 30,
    blockWriteBytes: 40,
    pids: 5,
    restarts: 0,
    oomKills: 0,
    ...over,
  };
}

describe('metricsRange', () => {
  it('defaults to the last hour in minutes', () => {
    expect(metricsRange({}, now)).toEqual({ from: minute(-60), to: now, stepSeconds: 60 });
  });

  it(`allows ${MAX_POINTS} points and refuses one more with too_many_points`, () => {
    expect(metricsRange({ from: minute(-MAX_POINTS), to: now, stepSeconds: 60 }, now).stepSeconds).toBe(60);
    const refused = () =>
      metricsRange({ from: new Date(minute(-MAX_POINTS).getTime() - 1000), to: now, stepSeconds: 60 }, now);
    expect(refused).toThrow(ProblemError);
    expect(refused).toThrow(expect.objectContaining({ code: 'too_many_points', status: 400 }));
  });

  it('refuses a range that ends before it starts', () => {
    expect(() => metricsRange({ from: now, to: minute(-1) }, now)).toThrow(
      expect.objectContaining({ code: 'invalid_time_range' }),
    );
  });
});

describe('summedSeries', () => {
  it('adds up replicas per bucket: CPU and memory of each replica summed, share against the summed limits', () => {
    const series = summedSeries([
      bucket({ bucketStart: minute(1), replicaId: 'r1', cpuMillicores: 100, memoryBytes: 1000 }),
      bucket({ bucketStart: minute(0), replicaId: 'r1', cpuMillicores: 50 }),
      bucket({
        bucketStart: minute(1),
        replicaId: 'r2',
        cpuMillicores: 400,
        memoryBytes: 3000,
        restarts: 1,
        oomKills: 1,
      }),
    ]);
    expect(series.replica).toBeNull();
    expect(series.points.map((p) => p.at)).toEqual([minute(0), minute(1)]);
    expect(series.points[1]).toMatchObject({
      replicas: 2,
      samples: 12,
      cpuMillicores: 500,
      cpuShare: 0.5,
      memoryBytes: 4000,
      memoryLimitBytes: 8000,
      networkRxBytes: 20,
      blockWriteBytes: 80,
      pids: 10,
      restarts: 1,
      oomKills: 1,
    });
  });

  it('leaves CPU unknown (null) only when no replica of the bucket has a CPU figure', () => {
    const series = summedSeries([
      bucket({ replicaId: 'r1', cpuMillicores: null }),
      bucket({ replicaId: 'r2', cpuMillicores: 250 }),
    ]);
    expect(series.points[0]).toMatchObject({ cpuMillicores: 250, cpuShare: 0.5 });
    expect(summedSeries([bucket({ cpuMillicores: null })]).points[0]).toMatchObject({
      cpuMillicores: null,
      cpuShare: null,
    });
  });
});

describe('perReplicaSeries', () => {
  it('gives each replica its own series, points oldest first', () => {
    const series = perReplicaSeries([
      bucket({ bucketStart: minute(2), replicaId: 'r1' }),
      bucket({ bucketStart: minute(1), replicaId: 'lb', role: 'lb', cpuMillicores: 5 }),
      bucket({ bucketStart: minute(1), replicaId: 'r1', cpuMillicores: 250 }),
    ]);
    expect(series.map((s) => [s.replica, s.role, s.points.length])).toEqual([
      ['r1', 'web', 2],
      ['lb', 'lb', 1],
    ]);
    expect(series[0]!.points[0]).toMatchObject({
      at: minute(1),
      cpuMillicores: 250,
      cpuShare: 0.5,
      replicas: 1,
    });
  });
});
