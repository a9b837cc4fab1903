import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';
import { StreamClient, wsUrl } from './logs/stream-client.js';

const MB = 1024 * 1024;

interface PointBody {
  oomKills: number;
  restarts: number;
  at: string;
  samples: number;
  cpuMillicores: number | null;
  cpuShare: number | null;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  pids: number;
}
interface LiveBody {
  type: string;
  replicas: { role: string; memoryBytes: number; memoryLimitBytes: number; pids: number }[];
}
interface MetricsBody {
  step: number;
  replica: string | null;
  aggregation: Record<string, string>;
  series: { replica: string | null; role: string | null; points: PointBody[] }[];
}

/**
 * A dependency-free app whose `/burn` spins the CPU for 300 ms and keeps 32 MB of touched memory (the
 * free plan's limit is 128 MB), so the sampler has something to see.
 */
function burnerApp(): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'burner', version: '1.0.0', main: 'index.js' }) },
    {
      name: 'index.js',
      body: `const http = require('http');
let kept;
http.createServer((req, res) => {
  if (req.url === '/burn') {
    const until = Date.now() + 300;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    // Allocated once: a second buffer next to the first could pass the 128 MB limit with node's own heap.
    if (!kept) kept = Buffer.alloc(32 * 1024 * 1024, 1);
    res.end('burned ' + Math.round(x % 10));
  } else if (req.url === '/oom') {
    // Touched memory until the kernel kills the container at its limit.
    const hog = [];
    for (;;) hog.push(Buffer.alloc(16 * 1024 * 1024, 1));
  } else res.end('ok');
}).listen(process.env.PORT, () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
`,
    },
  ]);
}

/**
 * Metrics on real Docker: the sampler reads a busy replica's counters, GET /v1/apps/{app}/metrics shows
 * its CPU and memory (within the plan's limit), another tenant cannot see them, and operators scrape the
 * platform in Prometheus text.
 */
describe('metrics on real Docker', () => {
  let api: TestApi;
  let owner: Session;
  let rival: Session;
  let operator: Session;
  const testStart = new Date(Date.now() - 60_000);

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500, metricsIntervalMs: 1000 });
    owner = await signupOwner(api, 'metrics');
    rival = await signupOwner(api, 'metrics-rival');
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'burner' }).expect(201);
    const build = await uploadBuild(api, owner, 'burner', await burnerApp());
    expect((await waitForBuild(api, owner, 'burner', build)).status).toBe('succeeded');
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  const metrics = async (query: Record<string, string | number>, session = owner) =>
    (await api.http.get('/v1/apps/burner/metrics').set(session.auth).query(query).expect(200))
      .body as MetricsBody;

  it('shows CPU above zero and memory within the limit of a replica that burns both', async () => {
    const state = await waitConverged(api, owner, 'burner');
    const endpoint = state.endpoints[0]!;
    const busy = await waitFor(
      'a bucket with CPU used and the 32 MB held',
      async () => {
        for (let i = 0; i < 3; i += 1) expect((await httpGet(`${endpoint}/burn`)).status).toBe(200);
        const body = await metrics({ from: testStart.toISOString(), step: 5 });
        return body.series[0]!.points.find((p) => (p.cpuMillicores ?? 0) > 0 && p.memoryBytes > 32 * MB);
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(busy.cpuShare).toBeGreaterThan(0);

    const summed = await metrics({ from: testStart.toISOString(), step: 5 });
    expect(summed.replica).toBeNull();
    expect(summed.aggregation.memoryBytes).toMatch(/max/);
    expect(summed.series).toHaveLength(1);
    for (const point of summed.series[0]!.points) {
      expect(point.memoryLimitBytes).toBe(128 * MB);
      expect(point.memoryBytes).toBeLessThanOrEqual(point.memoryLimitBytes);
      expect(point.pids).toBeGreaterThan(0);
    }

    const perReplica = await metrics({ from: testStart.toISOString(), step: 5, replica: 'all' });
    expect(perReplica.series).toEqual([
      expect.objectContaining({ replica: expect.stringMatching(/^[0-9a-f-]{36}$/), role: 'web' }),
    ]);
    const one = await metrics({
      from: testStart.toISOString(),
      step: 5,
      replica: perReplica.series[0]!.replica!,
    });
    expect(one.series[0]!.points.length).toBe(perReplica.series[0]!.points.length);
  }, 180_000);

  it('counts the OOM kill of a replica that allocates past its limit', async () => {
    const before = await waitConverged(api, owner, 'burner');
    await httpGet(`${before.endpoints[0]!}/oom`).catch(() => undefined);
    const oom = await waitFor(
      'a bucket with the OOM kill',
      async () => {
        const body = await metrics({ from: testStart.toISOString(), step: 3600 });
        return body.series[0]!.points.find((p) => p.oomKills > 0);
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(oom).toMatchObject({ oomKills: 1, restarts: 1 });
  }, 120_000);

  it("sends each new sampling of the app's replicas as a metrics message on its live stream", async () => {
    await waitConverged(api, owner, 'burner');
    const stream = StreamClient.open(wsUrl(api.url, '/v1/apps/burner/log-stream'), { headers: owner.auth });
    try {
      await stream.connected();
      const live = await stream.until(
        'a metrics message',
        () => (stream.messages as unknown as LiveBody[]).find((m) => m.type === 'metrics'),
        30_000,
      );
      expect(live.replicas).toEqual([
        expect.objectContaining({ role: 'web', memoryLimitBytes: 128 * MB, pids: expect.any(Number) }),
      ]);
      expect(live.replicas[0]!.memoryBytes).toBeGreaterThan(0);
      expect(live.replicas[0]!.memoryBytes).toBeLessThanOrEqual(128 * MB);
    } finally {
      await stream.close();
    }
  }, 60_000);

  it('is not found for another tenant and refuses more than 1,000 points', async () => {
    const hidden = await api.http.get('/v1/apps/burner/metrics').set(rival.auth).expect(404);
    expect(hidden.body.code).toBe('not_found');
    const tooMany = await api.http
      .get('/v1/apps/burner/metrics')
      .set(owner.auth)
      .query({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:16:41Z', step: 1 })
      .expect(400);
    expect(tooMany.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(tooMany.body.code).toBe('too_many_points');
  });

  it('gives operators and metrics:read platform keys the platform in Prometheus text, and hides it from tenants', async () => {
    const res = await api.http.get('/v1/admin/metrics').set(operator.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = new Map<string, number>();
    for (const line of res.text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      // name{label="value",...} value: the exposition format's sample line.
      const match =
        /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (\S+)$/.exec(
          line,
        );
      expect({ line, parsed: match !== null }).toEqual({ line, parsed: true });
      const value = Number(match![2]);
      expect({ line, number: !Number.isNaN(value) || match![2] === 'NaN' }).toEqual({ line, number: true });
      samples.set(match![1]!, value);
    }
    expect(samples.get('berth_replicas{role="web",state="running"}')).toBeGreaterThanOrEqual(1);
    expect(samples.has('berth_build_queue_builds{status="queued"}')).toBe(true);
    expect(samples.get('berth_log_streams_open')).toBeGreaterThanOrEqual(0);
    expect(samples.get('berth_reconcile_passes_total')).toBeGreaterThan(0);
    for (const hostGauge of [
      'berth_host_memory_mb{',
      'berth_host_cpus{',
      'berth_host_allocated_memory_mb{',
    ]) {
      expect({ hostGauge, present: [...samples.keys()].some((k) => k.startsWith(hostGauge)) }).toEqual({
        hostGauge,
        present: true,
      });
    }
    expect(samples.has('process_cpu_user_seconds_total')).toBe(true);

    const tenant = await api.http.get('/v1/admin/metrics').set(owner.auth).expect(404);
    expect(tenant.body.code).toBe('not_found');

    // A scrape credential that outlives a login: a platform key with metrics:read; usage:read is not enough.
    const key = async (scopes: string[]) => {
      const created = await api.http
        .post('/v1/admin/api-keys')
        .set(operator.auth)
        .send({ name: `prometheus ${scopes.join(' ')}`, scopes })
        .expect(201);
      return { Authorization: `Bearer ${created.body.secret}` };
    };
    const scraped = await api.http
      .get('/v1/admin/metrics')
      .set(await key(['metrics:read']))
      .expect(200);
    expect(scraped.text).toMatch(/^berth_replicas\{role="web",state="running"\} [1-9]/m);
    await api.http
      .get('/v1/admin/metrics')
      .set(await key(['usage:read']))
      .expect(403);
  });
});
