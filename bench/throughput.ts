/**
 * API throughput: requests/s and p99 of authenticated GET /v1/apps (a tenant with a few apps) and GET
 * /v1/me, against a bare NestJS route in the same process. Method: bench/README.md, "API throughput".
 */
import type { ApiClient } from './api-client.js';
import type { BenchContext, BenchStack } from './bench-stack.js';
import { statementsSent } from '../libs/db/index.js';
import { AppListCache, type TenantListMemoCounts } from '../libs/runtime/index.js';
import { load, requestCost, startBareNest, type LoadResult, type RequestCost } from './load.js';
import { formatMs, formatRate, now } from './probes.js';
import type { BenchOutcome, BenchRow } from './report.js';

export const CONNECTIONS = 10;
/** Apps of the tenant whose list is requested. */
export const LISTED_APPS = 5;

export const THROUGHPUT_METHOD =
  `autocannon (worker thread), ${CONNECTIONS} connections, 5 s per target (quick: 2 s) after a 1 s ` +
  `warm-up: GET /v1/apps (bearer token, tenant with ${LISTED_APPS} apps, no replicas), GET /v1/me and ` +
  'GET /healthz (public, no database: the HTTP stack alone) against GET /ok of a bare NestJS 12 app ' +
  '(one handler returning {ok:true}) in the same process; then 300 requests one at a time per target ' +
  '(quick: 100): process CPU and SQL statements per request';

/** A tenant with LISTED_APPS apps (created, never built): the request the throughput and density runs make. */
export async function listingTenant(stack: BenchStack, label: string): Promise<ApiClient> {
  const client = await stack.tenant(label);
  for (let i = 1; i <= LISTED_APPS; i++) await client.createApp(`listed-${i}`);
  return client;
}

export async function runThroughputBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const durationSeconds = ctx.quick ? 2 : 5;
  const client = await listingTenant(ctx.stack, 'throughput');
  const headers = { authorization: await client.authorization() };
  const bare = await startBareNest();
  const results: Record<string, LoadResult> = {};
  const costs: Record<string, RequestCost> = {};
  // What GET /v1/apps' list cache did during the apps target (load and one at a time): how often a change
  // (the reconciler's, here) dropped it, and how many requests read the database.
  const listCache = ctx.stack.resolve(AppListCache);
  const appListCache: Partial<Record<'load' | 'oneAtATime', TenantListMemoCounts>> = {};
  try {
    const targets: [string, string, Record<string, string> | undefined][] = [
      ['bare', bare.url, undefined],
      ['healthz', `${ctx.stack.url}/healthz`, undefined],
      ['me', `${ctx.stack.url}/v1/me`, headers],
      ['apps', `${ctx.stack.url}/v1/apps`, headers],
    ];
    for (const [name, url, targetHeaders] of targets) {
      const cacheBefore = listCache.counts();
      await load({ url, headers: targetHeaders, connections: CONNECTIONS, durationSeconds: 1 });
      results[name] = await load({ url, headers: targetHeaders, connections: CONNECTIONS, durationSeconds });
      if (name === 'apps') appListCache.load = countsSince(cacheBefore, listCache.counts());
      ctx.log(
        `${new URL(url).pathname}: ${formatRate(results[name].requestsPerSecond)}, p50 ` +
          `${formatMs(results[name].p50Ms)}, p99 ${formatMs(results[name].p99Ms)}`,
      );
    }
    for (const [name, url, targetHeaders] of targets) {
      const cacheBefore = listCache.counts();
      costs[name] = await requestCost({
        url,
        headers: targetHeaders,
        requests: ctx.quick ? 100 : 300,
        statementsSent,
      });
      if (name === 'apps') appListCache.oneAtATime = countsSince(cacheBefore, listCache.counts());
      ctx.log(
        `${new URL(url).pathname} one at a time: ${costs[name].cpuMsPerRequest.toFixed(2)} ms CPU, ` +
          `${costs[name].statementsPerRequest.toFixed(1)} SQL statements per request`,
      );
    }
    ctx.log(`GET /v1/apps list cache under load: ${JSON.stringify(appListCache.load)}`);
  } finally {
    await bare.close();
  }
  const rows = (label: string, key: string, r: LoadResult): BenchRow[] => [
    {
      name: `${label} req/s`,
      berth: formatRate(r.requestsPerSecond),
      raw: formatRate(results.bare.requestsPerSecond),
      ratio: r.requestsPerSecond / results.bare.requestsPerSecond,
    },
    {
      name: `${label} p99`,
      berth: formatMs(r.p99Ms),
      raw: formatMs(results.bare.p99Ms),
      ratio: r.p99Ms / results.bare.p99Ms,
    },
    {
      name: `${label} CPU / SQL per request`,
      berth: formatCost(costs[key]),
      raw: formatCost(costs.bare),
      ratio: costs[key].cpuMsPerRequest / costs.bare.cpuMsPerRequest,
      ratioOf: 'CPU',
    },
  ];
  return {
    name: 'throughput',
    method: THROUGHPUT_METHOD,
    rows: [
      ...rows('GET /healthz (public, no DB)', 'healthz', results.healthz),
      ...rows('GET /v1/me', 'me', results.me),
      ...rows(`GET /v1/apps (${LISTED_APPS} apps)`, 'apps', results.apps),
    ],
    details: { connections: CONNECTIONS, durationSeconds, ...results, costs, appListCache },
    durationMs: now() - started,
  };
}

function formatCost(cost: RequestCost): string {
  return `${cost.cpuMsPerRequest.toFixed(2)} ms / ${cost.statementsPerRequest.toFixed(1)}`;
}

function countsSince(before: TenantListMemoCounts, after: TenantListMemoCounts): TenantListMemoCounts {
  return {
    hits: after.hits - before.hits,
    loads: after.loads - before.loads,
    bypasses: after.bypasses - before.bypasses,
    changes: after.changes - before.changes,
    drops: after.drops - before.drops,
  };
}
