/**
 * Density: how many idle replicas of a minimal app one host runs under Berth while the API's p99 (GET
 * /v1/apps, short autocannon burst) stays within 2× of its idle p99; the same count of unmanaged raw
 * containers is the baseline. Method: bench/README.md, "Density".
 */
import fs from 'node:fs/promises';
import { type DockerEngine, LABELS } from '../libs/engine/index.js';
import { minimalApp } from './bench-archives.js';
import { BENCH_LABEL, BENCH_SMALL_PLAN, type BenchContext } from './bench-stack.js';
import { deleteApps, waitContainersServing, waitServing } from './berth-waits.js';
import { load } from './load.js';
import { formatMb, formatMs, mean, median, now, sleep, waitUntil } from './probes.js';
import { rawBuild, rawRemove, rawRunAndWait, type RawContainer, type RawTarget } from './raw-docker.js';
import type { BenchOutcome } from './report.js';
import { CONNECTIONS, LISTED_APPS, listingTenant } from './throughput.js';

const FULL_STEPS = [10, 20, 40, 80, 160];
const QUICK_STEPS = [5, 10];
const BOUND = 2;
const BURST_SECONDS = 2;
const SETTLE_MS = 2000;
const STEP_TIMEOUT_MS = 300_000;
const STATS_SAMPLE = 10;
const RECHECK_PAUSE_MS = 10_000;
const MARKER = 'density';
/** The host-memory figure is only shown from this many replicas on (see the row below). */
const HOST_MEMORY_MIN_REPLICAS = 40;

export const DENSITY_METHOD =
  `dependency-free app on a ${BENCH_SMALL_PLAN.memoryMb} MB plan scaled ${FULL_STEPS.join(', ')} ` +
  `(quick: ${QUICK_STEPS.join(', ')}); after all answer 200 and ${SETTLE_MS / 1000} s settle, three ` +
  `${BURST_SECONDS} s autocannon bursts (${CONNECTIONS} connections) on GET /v1/apps (${LISTED_APPS} apps), ` +
  `p99 of the median one (over the bound: again after ${RECHECK_PAUSE_MS / 1000} s, the lower counts); stop at ` +
  `the first step over ${BOUND}× the idle p99, or the cap; raw = the last ` +
  `step's count as unmanaged containers, same bursts; memory = mean engine.stats of ${STATS_SAMPLE}`;

interface Step {
  replicas: number;
  /** From the scale call until the API listed every replica serving (raw: create+start until all 200). */
  scaleMs: number;
  /** From the scale call until the containers, found in Docker, all answered 200. */
  containersServingMs: number;
  /** Drop of the host's MemAvailable since idle, per replica: container, shim and port proxy together. */
  hostBytesPerReplica: number;
  /** RSS of this process (the API, its loops and the bench client) at the step. */
  processRssBytes: number;
  p99Ms: number;
  requestsPerSecond: number;
  memoryBytesPerReplica: number;
  withinBound: boolean;
}

export async function runDensityBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const { stack } = ctx;
  const steps = ctx.quick ? QUICK_STEPS : FULL_STEPS;
  const probe = await listingTenant(stack, 'density-probe');
  const client = await stack.tenant('density', BENCH_SMALL_PLAN);
  const raw: RawTarget = { engine: stack.engine, runId: stack.runId, network: stack.rawNetwork };
  const burst = async () => {
    const result = await load({
      url: `${stack.url}/v1/apps`,
      headers: { authorization: await probe.authorization() },
      connections: CONNECTIONS,
      durationSeconds: BURST_SECONDS,
    });
    return result;
  };

  await burst(); // warm-up, not counted
  const idleBursts = [await burst(), await burst(), await burst()];
  const idleP99 = median(idleBursts.map((b) => b.p99Ms));
  const bound = BOUND * idleP99;
  const idleRss = process.memoryUsage().rss;
  ctx.log(
    `idle p99 ${formatMs(idleP99)} (median of 3 bursts), bound ${formatMs(bound)}; API process RSS ${formatMb(idleRss)}`,
  );

  /** Three bursts; the step's figures are those of the median one (one neighbour's spike is not a limit). */
  const medianBurst = async () => {
    const bursts = [await burst(), await burst(), await burst()];
    bursts.sort((a, b) => a.p99Ms - b.p99Ms);
    return bursts[1];
  };
  /**
   * Other work on a shared machine comes in spells of seconds to minutes: a median over the bound is
   * measured again after a pause, and the lower of the two counts.
   */
  const measure = async () => {
    const first = await medianBurst();
    if (first.p99Ms <= bound) return first;
    ctx.log(
      `p99 ${formatMs(first.p99Ms)} is over the bound: measuring again in ${RECHECK_PAUSE_MS / 1000} s`,
    );
    await sleep(RECHECK_PAUSE_MS);
    const second = await medianBurst();
    return second.p99Ms < first.p99Ms ? second : first;
  };

  const archive = await minimalApp(MARKER);
  const app = await client.createApp('density');
  const idleAvailable = await memAvailableBytes();
  const measured: Step[] = [];
  let stoppedBecause = 'cap';
  let rawStep: (Step & { startMs: number }) | undefined;
  let rawContainers: RawContainer[] = [];
  try {
    const buildId = await client.upload('density', archive);
    await waitServing(client, 'density', { count: 1, body: MARKER, buildId, timeoutMs: STEP_TIMEOUT_MS });
    for (const replicas of steps) {
      const t0 = now();
      let containersServingMs = Number.NaN;
      try {
        await client.scale('density', replicas);
        const direct = waitContainersServing(stack.engine, app.id, {
          count: replicas,
          body: MARKER,
          timeoutMs: STEP_TIMEOUT_MS,
        }).then(() => (containersServingMs = now() - t0));
        direct.catch(() => undefined);
        await waitServing(client, 'density', { count: replicas, body: MARKER, timeoutMs: STEP_TIMEOUT_MS });
        await direct;
      } catch (error) {
        stoppedBecause = `${replicas} replicas did not all answer: ${error instanceof Error ? error.message : error}`;
        ctx.log(stoppedBecause);
        break;
      }
      const scaleMs = now() - t0;
      await sleep(SETTLE_MS);
      const result = await measure();
      const memory = await memoryPerContainer(stack.engine, { [LABELS.app]: app.id });
      const step: Step = {
        replicas,
        scaleMs,
        containersServingMs,
        hostBytesPerReplica: (idleAvailable - (await memAvailableBytes())) / replicas,
        processRssBytes: process.memoryUsage().rss,
        p99Ms: result.p99Ms,
        requestsPerSecond: result.requestsPerSecond,
        memoryBytesPerReplica: memory,
        withinBound: result.p99Ms <= bound,
      };
      measured.push(step);
      ctx.log(
        `${replicas} replicas (API listed all in ${formatMs(scaleMs)}, containers answered at ` +
          `${formatMs(containersServingMs)}): p99 ${formatMs(step.p99Ms)}, ${formatMb(memory)}/replica ` +
          `(host ${formatMb(step.hostBytesPerReplica)}), API process RSS ${formatMb(step.processRssBytes)}` +
          `${step.withinBound ? '' : ` — over ${formatMs(bound)}, stopping`}`,
      );
      if (!step.withinBound) {
        stoppedBecause = 'p99 bound';
        break;
      }
    }

    // Baseline: the same count as the last measured step, as unmanaged containers, with Berth's
    // replicas gone (the API still runs its loops, over an empty host).
    const last = measured[measured.length - 1];
    if (last) {
      await client.scale('density', 0);
      await waitUntil(
        'density replicas to be removed',
        async () =>
          (await stack.engine.listContainers({ labels: { [LABELS.app]: app.id }, all: true })).length === 0,
        { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 500 },
      );
      const image = `berth-bench-${stack.runId}-density:latest`;
      await rawBuild(raw, { archive, tag: image, plan: BENCH_SMALL_PLAN });
      const rawIdleAvailable = await memAvailableBytes();
      const t0 = now();
      rawContainers = await rawRunAndWait(raw, {
        image,
        appName: 'density',
        plan: BENCH_SMALL_PLAN,
        count: last.replicas,
        body: MARKER,
        timeoutMs: STEP_TIMEOUT_MS,
      });
      const startMs = now() - t0;
      await sleep(SETTLE_MS);
      const result = await measure();
      const memory = await memoryPerContainer(stack.engine, {
        [BENCH_LABEL]: stack.runId,
        'berth.bench.app': 'density',
      });
      rawStep = {
        replicas: last.replicas,
        scaleMs: startMs,
        containersServingMs: startMs,
        hostBytesPerReplica: (rawIdleAvailable - (await memAvailableBytes())) / last.replicas,
        processRssBytes: process.memoryUsage().rss,
        startMs,
        p99Ms: result.p99Ms,
        requestsPerSecond: result.requestsPerSecond,
        memoryBytesPerReplica: memory,
        withinBound: result.p99Ms <= bound,
      };
      ctx.log(
        `raw: ${last.replicas} containers (started in ${formatMs(startMs)}): p99 ${formatMs(result.p99Ms)}, ` +
          `${formatMb(memory)}/container (host ${formatMb(rawStep.hostBytesPerReplica)}), API process RSS ` +
          `${formatMb(rawStep.processRssBytes)}`,
      );
    }
  } finally {
    await rawRemove(raw, rawContainers).catch(() => undefined);
    await deleteApps(client, stack.engine, [app]).catch((error) => ctx.log(`cleanup: ${error}`));
  }

  const within = measured.filter((s) => s.withinBound);
  const best = within[within.length - 1];
  const last = measured[measured.length - 1];
  const capped = stoppedBecause === 'cap' && best !== undefined && best === last;
  return {
    name: 'density',
    method: DENSITY_METHOD,
    rows: [
      {
        name: `density: idle replicas within ${BOUND}× idle p99`,
        berth: best
          ? `${capped ? '≥ ' : ''}${best.replicas} (p99 ${formatMs(best.p99Ms)} vs idle ${formatMs(idleP99)})`
          : `none (stopped: ${stoppedBecause})`,
        raw: rawStep ? `p99 ${formatMs(rawStep.p99Ms)} with ${rawStep.replicas} unmanaged` : 'n/a',
        ratio: rawStep && last ? last.p99Ms / rawStep.p99Ms : null,
        ratioOf: rawStep ? `p99 at ${rawStep.replicas}` : undefined,
      },
      {
        name: 'density: memory per idle replica (cgroup)',
        berth: best ? formatMb(best.memoryBytesPerReplica) : 'n/a',
        raw: rawStep ? formatMb(rawStep.memoryBytesPerReplica) : 'n/a',
        ratio: best && rawStep ? best.memoryBytesPerReplica / rawStep.memoryBytesPerReplica : null,
      },
      // Below ~40 replicas the drop is within what the rest of the machine moves MemAvailable by.
      last && rawStep && last.replicas >= HOST_MEMORY_MIN_REPLICAS
        ? {
            name: 'density: host memory per replica',
            berth: `${formatMb(last.hostBytesPerReplica)} (at ${last.replicas})`,
            raw: `${formatMb(rawStep.hostBytesPerReplica)} (at ${rawStep.replicas})`,
            ratio: last.hostBytesPerReplica / rawStep.hostBytesPerReplica,
          }
        : {
            name: 'density: host memory per replica',
            berth: `n/a (fewer than ${HOST_MEMORY_MIN_REPLICAS} replicas)`,
            raw: 'n/a',
            ratio: null,
          },
    ],
    details: {
      idleP99Ms: idleP99,
      idleBursts,
      boundMs: bound,
      steps: measured,
      stoppedBecause,
      raw: rawStep,
    },
    durationMs: now() - started,
  };
}

/** MemAvailable of the host (/proc/meminfo): what is left for more replicas, page cache included. */
async function memAvailableBytes(): Promise<number> {
  const meminfo = await fs.readFile('/proc/meminfo', 'utf8');
  const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo);
  if (!kb) throw new Error('no MemAvailable in /proc/meminfo');
  return Number(kb[1]) * 1024;
}

/** Mean memory in use (engine.stats) over up to STATS_SAMPLE running containers carrying `labels`. */
async function memoryPerContainer(engine: DockerEngine, labels: Record<string, string>): Promise<number> {
  const containers = await engine.listContainers({ labels });
  const sample = containers.slice(0, STATS_SAMPLE);
  const stats = await Promise.all(sample.map((c) => engine.stats({ id: c.id })));
  return mean(stats.map((s) => s.memoryBytes));
}
