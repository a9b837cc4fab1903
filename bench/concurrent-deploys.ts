/**
 * Concurrent deploys: N uploads at once to N apps, until every app's replica answers HTTP 200, failures
 * counted; against the same N builds + containers through the Engine with the same number of build slots.
 * Method: bench/README.md, "Concurrent deploys".
 */
import type { ApiClient, AppState } from './api-client.js';
import { minimalApp } from './bench-archives.js';
import { BENCH_SMALL_PLAN, type BenchContext } from './bench-stack.js';
import { deleteApps } from './berth-waits.js';
import { answers200, formatMs, mapLimit, now, waitUntil } from './probes.js';
import { rawBuild, rawRemove, rawRunAndWait, type RawContainer, type RawTarget } from './raw-docker.js';
import type { BenchOutcome, BenchRow } from './report.js';

const FULL_SIZES = [20, 50];
const QUICK_SIZES = [5];
const TIMEOUT_MS = 600_000;

export const CONCURRENT_METHOD =
  `${FULL_SIZES.join(' and ')} (quick: ${QUICK_SIZES.join(', ')}) uploads of distinct dependency-free apps ` +
  'at once → every app answers 200 with its own body, failures counted; raw = the same builds through ' +
  "DockerEngine.buildImage with as many at once as Berth's build slots (config.buildConcurrency), each " +
  'followed by create + start + poll 200';

interface Run {
  apps: number;
  totalMs: number;
  /** When the last image was built (Berth: the latest build's finishedAt), from the first upload. */
  buildsDoneMs: number;
  failures: string[];
}

export async function runConcurrentDeploysBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const { stack } = ctx;
  const sizes = ctx.quick ? QUICK_SIZES : FULL_SIZES;
  const raw: RawTarget = { engine: stack.engine, runId: stack.runId, network: stack.rawNetwork };
  const buildSlots = stack.config.buildConcurrency;
  const berthRuns: Run[] = [];
  const rawRuns: Run[] = [];

  // Untimed: the dependency layer every app shares (same package.json), so neither side's first build
  // pays for the one `npm install`.
  await rawBuild(raw, {
    archive: await minimalApp('warm-up'),
    tag: `berth-bench-${stack.runId}-cwarm:latest`,
    plan: BENCH_SMALL_PLAN,
  });

  for (const size of sizes) {
    const client = await stack.tenant(`concurrent-${size}`, BENCH_SMALL_PLAN);
    const names = Array.from({ length: size }, (_, i) => `c${size}-${i + 1}`);
    const apps: AppState[] = [];
    try {
      for (const name of names) apps.push(await client.createApp(name));
      const berth = await berthConcurrent(client, names, size);
      berthRuns.push(berth);
      ctx.log(`${size} at once: Berth ${describe(berth)}`);
      for (const failure of berth.failures) ctx.log(`  Berth failure: ${failure}`);
    } finally {
      await deleteApps(client, stack.engine, apps).catch((error) => ctx.log(`cleanup: ${error}`));
    }
    const rawResult = await rawConcurrent(raw, ctx, names, size, buildSlots);
    rawRuns.push(rawResult);
    ctx.log(`${size} at once: raw   ${describe(rawResult)}`);
    for (const failure of rawResult.failures) ctx.log(`  raw failure: ${failure}`);
  }

  // A raw run with failures timed fewer apps: its ratio would flatter nobody, so there is none.
  const rows: BenchRow[] = sizes.map((size, i) => ({
    name: `${size} concurrent deploys (→ all 200)`,
    berth: describe(berthRuns[i]),
    raw: describe(rawRuns[i]),
    ratio:
      berthRuns[i].failures.length + rawRuns[i].failures.length === 0
        ? berthRuns[i].totalMs / rawRuns[i].totalMs
        : null,
  }));
  const berthFailures = berthRuns.reduce((sum, run) => sum + run.failures.length, 0);
  return {
    name: 'concurrent-deploys',
    method: CONCURRENT_METHOD,
    rows,
    details: { buildSlots, berth: berthRuns, raw: rawRuns },
    // Berth must deploy every app: a failure fails the benchmark (and the run's exit code).
    ...(berthFailures > 0 ? { error: `${berthFailures} Berth deploy(s) failed` } : {}),
    durationMs: now() - started,
  };
}

/** All uploads at once; then one GET /v1/apps per poll for every app, and each new endpoint called. */
async function berthConcurrent(client: ApiClient, names: readonly string[], size: number): Promise<Run> {
  const archives = await Promise.all(names.map((name) => minimalApp(`berth ${size} ${name}`)));
  const failures: string[] = [];
  const waiting = new Map<string, string>(); // app → build id, until it serves
  const builds = new Map<string, string>();
  const t0 = now();
  const t0Wall = Date.now();
  await Promise.all(
    names.map(async (name, i) => {
      try {
        const buildId = await client.upload(name, archives[i]);
        waiting.set(name, buildId);
        builds.set(name, buildId);
      } catch (error) {
        failures.push(`${name}: upload: ${error instanceof Error ? error.message : error}`);
      }
    }),
  );
  let polls = 0;
  await waitUntil(
    `${waiting.size} concurrent deploys`,
    async () => {
      polls += 1;
      const states = new Map((await client.apps()).map((s) => [s.name, s]));
      await Promise.all(
        [...waiting].map(async ([name, buildId]) => {
          const state = states.get(name);
          if (state?.phase === 'failed' || state?.phase === 'crashloop') {
            failures.push(`${name}: ${state.phase}: ${state.statusReason}`);
            waiting.delete(name);
            return;
          }
          const body = `berth ${size} ${name}`;
          const ok = await Promise.all((state?.endpoints ?? []).map((url) => answers200(url, body)));
          if (ok.includes(true)) {
            waiting.delete(name);
          } else if (polls % 20 === 0) {
            const build = await client.build(name, buildId);
            if (build.status === 'failed' || build.status === 'cancelled') {
              failures.push(`${name}: build ${build.status}: ${build.error}`);
              waiting.delete(name);
            }
          }
        }),
      );
      return waiting.size === 0;
    },
    // One GET /v1/apps lists every app with its endpoints; at 50 apps it is ~150 queries, so it is polled
    // every 500 ms (≤ 3 % of the shortest figure) to keep the client from loading the API it measures.
    { timeoutMs: TIMEOUT_MS, intervalMs: 500 },
  ).catch((error: unknown) => {
    failures.push(`${[...waiting.keys()].join(', ')}: ${error instanceof Error ? error.message : error}`);
  });
  const totalMs = now() - t0;
  // Build timestamps come from the same machine's clock: when the build pipeline ended, for the breakdown.
  const finished = await Promise.all(
    [...builds].map(async ([name, id]) => {
      const build = await client.call<{ finishedAt: string | null }>('GET', `/v1/apps/${name}/builds/${id}`);
      return build.body.finishedAt ? Date.parse(build.body.finishedAt) - t0Wall : Number.NaN;
    }),
  );
  return { apps: size, totalMs, buildsDoneMs: Math.max(...finished), failures };
}

/** The same apps, built `slots` at a time; each container starts as soon as its image is built. */
async function rawConcurrent(
  raw: RawTarget,
  ctx: BenchContext,
  names: readonly string[],
  size: number,
  slots: number,
): Promise<Run> {
  const archives = await Promise.all(names.map((name) => minimalApp(`rawxx ${size} ${name}`)));
  const failures: string[] = [];
  const containers: RawContainer[] = [];
  const starts: Promise<void>[] = [];
  const t0 = now();
  await mapLimit(names, slots, async (name, i) => {
    const image = `berth-bench-${ctx.stack.runId}-${name}:latest`;
    try {
      await rawBuild(raw, { archive: archives[i], tag: image, plan: BENCH_SMALL_PLAN });
    } catch (error) {
      failures.push(`${name}: build: ${error instanceof Error ? error.message : error}`);
      return;
    }
    starts.push(
      rawRunAndWait(raw, {
        image,
        appName: name,
        plan: BENCH_SMALL_PLAN,
        count: 1,
        body: `rawxx ${size} ${name}`,
      })
        .then((started) => void containers.push(...started))
        .catch(
          (error: unknown) =>
            void failures.push(`${name}: run: ${error instanceof Error ? error.message : error}`),
        ),
    );
  });
  const buildsDoneMs = now() - t0;
  await Promise.all(starts);
  const totalMs = now() - t0;
  await rawRemove(raw, containers).catch(() => undefined);
  return { apps: size, totalMs, buildsDoneMs, failures };
}

function describe(run: Run): string {
  return `${formatMs(run.totalMs)} (images built at ${formatMs(run.buildsDoneMs)}), ${run.failures.length} failed`;
}
