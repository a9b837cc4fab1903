/**
 * The edge router's cost: requests/s and latency of GET / of one replica through the router (Host =
 * the app's default hostname) against the same replica at its published port. Method: bench/README.md,
 * "Edge router".
 */
import http from 'node:http';
import { minimalApp } from './bench-archives.js';
import type { BenchContext } from './bench-stack.js';
import { waitServing } from './berth-waits.js';
import { load, type LoadResult } from './load.js';
import { formatMs, formatRate, freePort, now, restoreEnv, waitUntil } from './probes.js';
import type { BenchOutcome, BenchRow } from './report.js';

const CONNECTIONS = 10;
const BODY = 'routed';

export const ROUTER_METHOD =
  `autocannon (worker thread), ${CONNECTIONS} keep-alive connections, 5 s per target (quick: 2 s) after ` +
  'a 1 s warm-up: GET / of one replica of a minimal node:http app through the edge router (HAProxy ' +
  "container on the host network, Host = the app's default hostname, access lines on, the sync and " +
  'egress collector running) against the same replica at its published port';

/** GET / at the router with a Host header (fetch cannot set one): true on 200 with the app's body. */
function answersThroughRouter(url: string, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { host }, timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && text === BODY));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function runRouterBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const durationSeconds = ctx.quick ? 2 : 5;
  const routerPort = await freePort();
  const saved = { port: process.env.BERTH_INGRESS_HTTP_PORT, sync: process.env.BERTH_INGRESS_SYNC_MS };
  // The router's settings come from the environment when the API starts: restart it with them, and
  // without them afterwards (the router container stays until the run's cleanup, unused).
  process.env.BERTH_INGRESS_HTTP_PORT = String(routerPort);
  process.env.BERTH_INGRESS_SYNC_MS = '500';
  const results: Record<string, LoadResult> = {};
  try {
    await ctx.stack.restartApi({});
    const client = await ctx.stack.tenant('router');
    await client.createApp('routed');
    const buildId = await client.upload('routed', await minimalApp(BODY));
    const state = await waitServing(client, 'routed', { count: 1, body: BODY, buildId, timeoutMs: 300_000 });
    const direct = state.endpoints[0];
    const app = await client.call<{ urls: string[] }>('GET', '/v1/apps/routed', { expect: 200 });
    const host = new URL(app.body.urls[0]).hostname;
    const routed = `http://127.0.0.1:${routerPort}/`;
    await waitUntil('the app through the router', () => answersThroughRouter(routed, host), {
      timeoutMs: 60_000,
    });
    ctx.log(`direct ${direct}, routed ${routed} (Host ${host})`);
    const targets: [string, string, Record<string, string> | undefined][] = [
      ['direct', direct, undefined],
      ['router', routed, { host }],
    ];
    for (const [name, url, headers] of targets) {
      await load({ url, headers, connections: CONNECTIONS, durationSeconds: 1 });
      results[name] = await load({ url, headers, connections: CONNECTIONS, durationSeconds });
      ctx.log(
        `${name}: ${formatRate(results[name].requestsPerSecond)}, mean ` +
          `${results[name].meanMs.toFixed(2)} ms, p99 ${formatMs(results[name].p99Ms)}`,
      );
    }
  } finally {
    restoreEnv('BERTH_INGRESS_HTTP_PORT', saved.port);
    restoreEnv('BERTH_INGRESS_SYNC_MS', saved.sync);
    await ctx.stack.restartApi({});
  }
  const { direct, router } = results;
  const rows: BenchRow[] = [
    {
      name: 'GET / through the router, req/s',
      berth: formatRate(router.requestsPerSecond),
      raw: formatRate(direct.requestsPerSecond),
      ratio: router.requestsPerSecond / direct.requestsPerSecond,
      ratioOf: 'req/s',
    },
    {
      // autocannon's percentiles are whole milliseconds (a direct p50 is 0 ms): the mean has decimals.
      name: 'GET / through the router, mean latency',
      berth: `${router.meanMs.toFixed(2)} ms`,
      raw: `${direct.meanMs.toFixed(2)} ms`,
      ratio: router.meanMs / Math.max(direct.meanMs, 0.001),
      ratioOf: 'mean',
    },
    {
      name: 'GET / through the router, p99',
      berth: formatMs(router.p99Ms),
      raw: formatMs(direct.p99Ms),
      ratio: router.p99Ms / Math.max(direct.p99Ms, 0.001),
      ratioOf: 'p99',
    },
  ];
  return {
    name: 'router',
    method: ROUTER_METHOD,
    rows,
    details: { connections: CONNECTIONS, durationSeconds, ...results },
    durationMs: now() - started,
  };
}
