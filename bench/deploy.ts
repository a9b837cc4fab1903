/**
 * Deploy latency: upload of a small Express app until its first replica answers HTTP 200, cold (the
 * dependency layer is new to this host, so `npm install` runs) and warm (a code-only change: the
 * dependency layer comes from the build cache), against the raw build + create + start + first 200.
 * Method: bench/README.md, "Deploy latency".
 */
import crypto from 'node:crypto';
import type { ApiClient } from './api-client.js';
import { expressApp, minimalApp } from './bench-archives.js';
import { BENCH_PLAN, type BenchContext } from './bench-stack.js';
import { deleteApps, waitDeployed } from './berth-waits.js';
import { answers200, formatMs, median, now, waitUntil } from './probes.js';
import { rawBuild, rawRun, type RawTarget } from './raw-docker.js';
import type { BenchOutcome, BenchRow } from './report.js';

export const DEPLOY_METHOD =
  'upload → first HTTP 200 from a replica, cold (unique package.json field: npm install runs) and warm ' +
  '(code-only change, dependency layer cached); raw = DockerEngine.buildImage with the same Dockerfile ' +
  "and context (cold: the whole host; warm: the plan's build allotment) + create + start + first 200; median of 4 rounds (quick: 1), each side going first in two of them";

const DEPLOY_TIMEOUT_MS = 300_000;

interface BerthSample {
  totalMs: number;
  uploadMs: number;
  queueMs: number;
  buildMs: number;
  /** After the build: release, placement, container start, readiness seen by the reconciler, client poll. */
  afterBuildMs: number;
  dependencyLayerCached: boolean;
}

interface RawSample {
  totalMs: number;
  buildMs: number;
  createStartMs: number;
  firstOkMs: number;
  dependencyLayerCached: boolean;
}

export async function runDeployBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  // An even count: the side that goes first builds ~0.25 s slower (at 676f13d, over 9 cold rounds, Berth
  // minus raw was +0.22 s on average when Berth went first, -0.26 s when raw did), so 3 alternating
  // rounds, two of them with Berth first, leaned the median against Berth.
  const rounds = ctx.quick ? 1 : 4;
  // --warm-only: one app per side, deployed cold once untimed, then only the code-only changes timed.
  const warmOnly = ctx.warmOnly ?? false;
  const client = await ctx.stack.tenant('deploy');
  const raw: RawTarget = { engine: ctx.stack.engine, runId: ctx.stack.runId, network: ctx.stack.rawNetwork };
  const apps: { name: string; id: string }[] = [];
  const rawContainers: string[] = [];
  const samples = { berthCold: [] as BerthSample[], berthWarm: [] as BerthSample[] };
  const rawSamples = { cold: [] as RawSample[], warm: [] as RawSample[] };
  try {
    // Untimed warm-up on each side: makes the tenant's (and the raw) network and warms the page cache
    // with the runtime image, so the first timed sample pays for nothing the others do not.
    ctx.log('warm-up: one dependency-free deploy per side (not timed)');
    apps.push(await client.createApp('warmup'));
    await berthDeploy(client, 'warmup', await minimalApp('warm-up'), 'warm-up');
    await rawBuild(raw, {
      archive: await minimalApp('warm-up'),
      tag: rawTag(ctx, 'warmup'),
      plan: BENCH_PLAN,
    });
    rawContainers.push(
      (await rawRun(raw, { image: rawTag(ctx, 'warmup'), appName: 'warmup', plan: BENCH_PLAN })).id,
    );

    // Keys unique to this run, side and round: neither side can reuse a layer the other (or an earlier
    // run) built. Same length on both sides, so the contexts are the same size.
    const key = (side: string, round: number) =>
      `${ctx.stack.runId}-${side}-${round}-${crypto.randomBytes(4).toString('hex')}`;
    const warmOnlyKeys = { berth: key('berth', 1), raw: key('rawxx', 1) };
    for (let round = 1; round <= rounds; round++) {
      const name = warmOnly ? 'app-1' : `app-${round}`;
      if (!warmOnly || round === 1) apps.push(await client.createApp(name));
      const berthKey = warmOnly ? warmOnlyKeys.berth : key('berth', round);
      const rawKey = warmOnly ? warmOnlyKeys.raw : key('rawxx', round);

      const marker = (kind: 'cold' | 'warm') => `${name} ${kind}${warmOnly ? ` ${round}` : ''}`;
      const berthStep = async (kind: 'cold' | 'warm') => {
        const sample = await berthDeploy(
          client,
          name,
          await expressApp({ marker: marker(kind), dependencyKey: berthKey }),
          marker(kind),
        );
        (kind === 'cold' ? samples.berthCold : samples.berthWarm).push(sample);
        ctx.log(`round ${round}/${rounds} ${kind}: Berth ${describeBerth(sample)}`);
      };
      const rawStep = async (kind: 'cold' | 'warm') => {
        const { id, sample } = await rawDeploy(
          raw,
          ctx,
          kind,
          `${name}-${kind}${warmOnly ? `-${round}` : ''}`,
          await expressApp({ marker: marker(kind), dependencyKey: rawKey }),
          marker(kind),
        );
        rawContainers.push(id);
        rawSamples[kind].push(sample);
        ctx.log(`round ${round}/${rounds} ${kind}: raw   ${describeRaw(sample)}`);
      };
      // Sides alternate which goes first, so neither always meets the registry (or the host) second.
      const [first, second] = round % 2 === 1 ? [berthStep, rawStep] : [rawStep, berthStep];
      if (!warmOnly || round === 1) {
        await first('cold');
        await second('cold');
      }
      if (warmOnly) {
        // Each warm deploy starts from one settled replica, as after a cold one (its drain over).
        await waitSettled(client, name);
      }
      await first('warm');
      await second('warm');
    }
  } finally {
    await deleteApps(client, ctx.stack.engine, apps).catch((error) => ctx.log(`cleanup: ${error}`));
    await Promise.all(rawContainers.map((id) => ctx.stack.engine.removeContainer({ id, force: true })));
  }

  if (warmOnly) {
    // The cold deploys were the setup of the warm ones: not timed figures.
    samples.berthCold.length = 0;
    rawSamples.cold.length = 0;
  }
  checkCache('Berth cold', samples.berthCold, false);
  checkCache('Berth warm', samples.berthWarm, true);
  checkCache('raw cold', rawSamples.cold, false);
  checkCache('raw warm', rawSamples.warm, true);
  const row = (label: string, berth: BerthSample[], rawRuns: RawSample[]): BenchRow => {
    const b = median(berth.map((s) => s.totalMs));
    const r = median(rawRuns.map((s) => s.totalMs));
    return {
      name: `deploy ${label} (upload → first 200)`,
      berth: `${formatMs(b)} (build ${formatMs(median(berth.map((s) => s.buildMs)))})`,
      raw: `${formatMs(r)} (build ${formatMs(median(rawRuns.map((s) => s.buildMs)))})`,
      ratio: b / r,
    };
  };
  return {
    name: 'deploy',
    method: DEPLOY_METHOD,
    rows: [
      ...(warmOnly ? [] : [row('cold, raw unlimited', samples.berthCold, rawSamples.cold)]),
      row('warm, equal limits', samples.berthWarm, rawSamples.warm),
      outsideBuild([...samples.berthCold, ...samples.berthWarm], [...rawSamples.cold, ...rawSamples.warm]),
    ],
    details: { rounds, warmOnly, berth: samples, raw: rawSamples },
    durationMs: now() - started,
  };
}

/**
 * Everything but the build, over cold and warm samples: npm's registry round trips make cold builds vary
 * by seconds between runs, which hides the platform's own share; this row shows it alone.
 */
function outsideBuild(berth: readonly BerthSample[], raw: readonly RawSample[]): BenchRow {
  const b = median(berth.map((s) => s.totalMs - s.buildMs));
  const r = median(raw.map((s) => s.totalMs - s.buildMs));
  return {
    name: 'deploy, all but the build',
    berth: `${formatMs(b)} (upload, queue, release, start, ready)`,
    raw: `${formatMs(r)} (create, start, first 200)`,
    ratio: b / r,
  };
}

async function berthDeploy(
  client: ApiClient,
  app: string,
  archive: Buffer,
  body: string,
): Promise<BerthSample> {
  const t0 = now();
  const buildId = await client.upload(app, archive);
  const uploadMs = now() - t0;
  await waitDeployed(client, app, { buildId, body, timeoutMs: DEPLOY_TIMEOUT_MS });
  const totalMs = now() - t0;
  const build = (
    await client.call<{ createdAt: string; startedAt: string; finishedAt: string }>(
      'GET',
      `/v1/apps/${app}/builds/${buildId}`,
      { expect: 200 },
    )
  ).body;
  const log = await client.call<{ lines: { text: string }[] }>(
    'GET',
    `/v1/apps/${app}/builds/${buildId}/log`,
    {
      expect: 200,
    },
  );
  const queueMs = Date.parse(build.startedAt) - Date.parse(build.createdAt);
  const buildMs = Date.parse(build.finishedAt) - Date.parse(build.startedAt);
  return {
    totalMs,
    uploadMs,
    queueMs,
    buildMs,
    afterBuildMs: totalMs - uploadMs - queueMs - buildMs,
    dependencyLayerCached: dependencyLayerCached(log.body.lines.map((l) => l.text)),
  };
}

async function rawDeploy(
  raw: RawTarget,
  ctx: BenchContext,
  kind: 'cold' | 'warm',
  appName: string,
  archive: Buffer,
  body: string,
): Promise<{ id: string; sample: RawSample }> {
  const tag = rawTag(ctx, appName);
  const lines: string[] = [];
  const t0 = now();
  // Cold builds against Docker without limits (issue #16's bar), warm ones at Berth's build allotment.
  const limits = kind === 'cold' ? 'unlimited' : 'build-allotment';
  await rawBuild(raw, { archive, tag, plan: BENCH_PLAN, limits, onLog: (line) => lines.push(line) });
  const t1 = now();
  const container = await rawRun(raw, { image: tag, appName, plan: BENCH_PLAN });
  const t2 = now();
  await waitUntil(`${appName} (raw) to answer 200`, () => answers200(container.endpoint, body), {
    timeoutMs: DEPLOY_TIMEOUT_MS,
  });
  const t3 = now();
  return {
    id: container.id,
    sample: {
      totalMs: t3 - t0,
      buildMs: t1 - t0,
      createStartMs: t2 - t1,
      firstOkMs: t3 - t2,
      dependencyLayerCached: dependencyLayerCached(lines),
    },
  };
}

/** Untimed: the app converged on one serving replica (the previous rollout's drain over). */
async function waitSettled(client: ApiClient, app: string): Promise<void> {
  await waitUntil(
    `${app} to settle`,
    async () => {
      const state = await client.app(app);
      return state.converged && state.phase === 'running' && state.endpoints.length === 1;
    },
    { timeoutMs: DEPLOY_TIMEOUT_MS },
  );
}

function rawTag(ctx: BenchContext, appName: string): string {
  return `berth-bench-${ctx.stack.runId}-${appName}:latest`;
}

/**
 * Whether the dependencies were reused. Berth's build log says so itself ("dependencies unchanged ...
 * reusing them", or "installing dependencies" in its hardened build container); the raw baseline's
 * classic build took the `RUN npm install` step from its cache when the step's next line is
 * ` ---> Using cache`.
 */
export function dependencyLayerCached(lines: readonly string[]): boolean {
  if (lines.some((line) => line.includes('[berth] dependencies unchanged'))) return true;
  if (lines.some((line) => line.includes('[berth] installing dependencies'))) return false;
  const step = lines.findIndex((line) => /RUN npm (install|ci)/.test(line));
  if (step === -1) throw new Error('no dependency step in the build output');
  const next = lines.slice(step + 1).find((line) => line.trim() !== '');
  return next !== undefined && next.includes('Using cache');
}

/** A cold sample that hit the cache (or a warm one that missed it) would measure the wrong thing. */
function checkCache(
  what: string,
  samples: readonly { dependencyLayerCached: boolean }[],
  cached: boolean,
): void {
  const wrong = samples.filter((s) => s.dependencyLayerCached !== cached).length;
  if (wrong > 0) {
    throw new Error(`${what}: ${wrong} build(s) ${cached ? 'rebuilt' : 'reused'} the dependency layer`);
  }
}

function describeBerth(s: BerthSample): string {
  return (
    `${formatMs(s.totalMs)} = upload ${formatMs(s.uploadMs)} + queue ${formatMs(s.queueMs)} + ` +
    `build ${formatMs(s.buildMs)} + release/start/ready ${formatMs(s.afterBuildMs)}`
  );
}

function describeRaw(s: RawSample): string {
  return (
    `${formatMs(s.totalMs)} = build ${formatMs(s.buildMs)} + create/start ${formatMs(s.createStartMs)} + ` +
    `first 200 ${formatMs(s.firstOkMs)}`
  );
}
