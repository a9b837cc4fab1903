/**
 * How often GET /v1/apps' list cache (AppListCache) is dropped by real changes: a tenant's first deploy, a
 * rollout of a second build, a scale 1 → 3 and a quiet spell with replicas running, while a client polls
 * the list every 100 ms (as the CLI and the deploy benchmark do). Prints per phase the changes the cache
 * heard for any tenant, the drops, and how many polls were served from the cache. Figures: bench/README.md.
 *
 *   npm run build && node dist/bench/app-list-churn.js
 */
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { AppListCache, type TenantListMemoCounts } from '../libs/runtime/index.js';
import { minimalApp } from './bench-archives.js';
import { BenchStack } from './bench-stack.js';
import { waitServing } from './berth-waits.js';

async function main(): Promise<void> {
  const runId = `c${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const stack = await BenchStack.start(runId, say);
  try {
    await stack.createPlans();
    const cache = stack.resolve(AppListCache);
    const client = await stack.tenant('churn');
    await client.createApp('churn');
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await client.apps();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const phase = async (name: string, work: () => Promise<unknown>) => {
      const before = cache.counts();
      const started = performance.now();
      await work();
      const seconds = (performance.now() - started) / 1000;
      const c = since(before, cache.counts());
      const reads = c.hits + c.loads + c.bypasses;
      say(
        `${name}: ${seconds.toFixed(1)} s, ${c.changes} changes heard (${(c.changes / seconds).toFixed(1)}/s), ` +
          `${c.drops} drops; list requests ${reads}: ${c.hits} from the cache, ${c.loads} read the database`,
      );
    };
    await phase('first deploy (upload → 1 replica answers)', async () => {
      const buildId = await client.upload('churn', await minimalApp('one'));
      await waitServing(client, 'churn', { count: 1, body: 'one', buildId, timeoutMs: 120_000 });
    });
    await phase('rollout of a second build (upload → new body answers)', async () => {
      const buildId = await client.upload('churn', await minimalApp('two'));
      await waitServing(client, 'churn', { count: 1, body: 'two', buildId, timeoutMs: 120_000 });
    });
    await phase('scale 1 → 3 (until 3 answer)', async () => {
      await client.scale('churn', 3);
      await waitServing(client, 'churn', { count: 3, timeoutMs: 120_000 });
    });
    await phase(
      'quiet, 3 replicas running, 10 s',
      () => new Promise((resolve) => setTimeout(resolve, 10_000)),
    );
    polling = false;
    await poller;
  } finally {
    await stack.close();
  }
}

function since(before: TenantListMemoCounts, after: TenantListMemoCounts): TenantListMemoCounts {
  return {
    hits: after.hits - before.hits,
    loads: after.loads - before.loads,
    bypasses: after.bypasses - before.bypasses,
    changes: after.changes - before.changes,
    drops: after.drops - before.drops,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
