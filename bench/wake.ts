/**
 * Scale to zero's wake time: from a GET sent through the edge router to a sleeping app (no container of
 * it runs) to its answer, against a plain start of the same image by the raw Engine (create + start +
 * poll until it answers 200). Method: bench/README.md, "Wake from sleep".
 */
import http from 'node:http';
import { minimalApp } from './bench-archives.js';
import { BENCH_PLAN, type BenchContext } from './bench-stack.js';
import { waitServing } from './berth-waits.js';
import { formatMs, freePort, now, restoreEnv, waitUntil } from './probes.js';
import { rawBuild, rawRemove, rawRunAndWait, type RawContainer, type RawTarget } from './raw-docker.js';
import type { BenchOutcome } from './report.js';

const MARKER = 'wake';
const TIMEOUT_MS = 180_000;

export const WAKE_METHOD =
  'one GET / through the edge router to a sleeping app (idle time 2 s; no container runs) until its 200, ' +
  'the request held by the waker while the reconciler starts a replica and it passes its check; raw = ' +
  'DockerEngine create + start of the same image + poll GET / (every 100 ms) until 200; 3 rounds (quick: 1), medians';

/** GET / at the router with a Host header: its status and body. */
function getThroughRouter(
  url: string,
  host: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function runWakeBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const rounds = ctx.quick ? 1 : 3;
  const { stack } = ctx;
  const raw: RawTarget = { engine: stack.engine, runId: stack.runId, network: stack.rawNetwork };
  const routerPort = await freePort();
  const saved = { port: process.env.BERTH_INGRESS_HTTP_PORT, sync: process.env.BERTH_INGRESS_SYNC_MS };
  process.env.BERTH_INGRESS_HTTP_PORT = String(routerPort);
  process.env.BERTH_INGRESS_SYNC_MS = '300';
  const berthMs: number[] = [];
  const rawMs: number[] = [];
  const rawImage = `berth-bench-${stack.runId}-wake:latest`;
  let rawRunning: RawContainer[] = [];
  try {
    await stack.restartApi({ sleepMinIdleSeconds: 2, sleepCheckIntervalMs: 200 });
    const client = await stack.tenant('wake');
    await client.createApp('wake');
    const archive = await minimalApp(MARKER);
    const buildId = await client.upload('wake', archive);
    await waitServing(client, 'wake', { count: 1, body: MARKER, buildId, timeoutMs: TIMEOUT_MS });
    const app = await client.call<{ urls: string[] }>('GET', '/v1/apps/wake', { expect: 200 });
    const host = new URL(app.body.urls[0]!).hostname;
    const routed = `http://127.0.0.1:${routerPort}/`;
    await waitUntil(
      'the app through the router',
      async () => (await getThroughRouter(routed, host, 2000).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000 },
    );
    await client.call('PUT', '/v1/apps/wake/sleep', { json: { afterIdleSeconds: 2 }, expect: 202 });
    for (let round = 1; round <= rounds; round += 1) {
      await waitUntil(
        'the app to sleep',
        async () => {
          const state = await client.call<{ phase: string }>('GET', '/v1/apps/wake', { expect: 200 });
          const list = await client.call<{ state: string }[]>('GET', '/v1/apps/wake/containers', {
            expect: 200,
          });
          return state.body.phase === 'sleeping' && list.body.every((c) => c.state === 'gone');
        },
        { timeoutMs: 60_000 },
      );
      const t0 = now();
      const answer = await getThroughRouter(routed, host, 60_000);
      if (answer.status !== 200 || answer.body !== MARKER)
        throw new Error(
          `wake answered ${answer.status} ${answer.body.replace(/<[^>]+>/g, ' ').slice(0, 200)}`,
        );
      berthMs.push(now() - t0);
      ctx.log(`round ${round}: the sleeping app answered in ${formatMs(berthMs.at(-1)!)}`);
    }
    await client.call('DELETE', '/v1/apps/wake/sleep', { expect: 202 });

    await rawBuild(raw, { archive, tag: rawImage, plan: BENCH_PLAN });
    for (let round = 1; round <= rounds; round += 1) {
      const t0 = now();
      rawRunning = await rawRunAndWait(raw, {
        image: rawImage,
        appName: 'wake',
        plan: BENCH_PLAN,
        count: 1,
        body: MARKER,
        timeoutMs: TIMEOUT_MS,
      });
      rawMs.push(now() - t0);
      ctx.log(`round ${round}: raw create + start answered in ${formatMs(rawMs.at(-1)!)}`);
      await rawRemove(raw, rawRunning);
      rawRunning = [];
    }
  } finally {
    await rawRemove(raw, rawRunning).catch(() => undefined);
    restoreEnv('BERTH_INGRESS_HTTP_PORT', saved.port);
    restoreEnv('BERTH_INGRESS_SYNC_MS', saved.sync);
    await stack.restartApi({});
  }
  const berth = median(berthMs);
  const rawMedian = median(rawMs);
  return {
    name: 'wake',
    method: WAKE_METHOD,
    rows: [
      {
        name: 'first request to a sleeping app, answered',
        berth: formatMs(berth),
        raw: formatMs(rawMedian),
        ratio: berth / rawMedian,
        ratioOf: 'median ms',
      },
    ],
    details: { rounds, berthMs, rawMs },
    durationMs: now() - started,
  };
}
