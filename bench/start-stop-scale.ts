/**
 * Start, stop and scale 1 → 10: from the API call until every replica answers HTTP 200 (or none is
 * left), against the raw Engine calls doing the same. Method: bench/README.md, "Start, stop and scale".
 */
import { minimalApp } from './bench-archives.js';
import { BENCH_PLAN, type BenchContext } from './bench-stack.js';
import { deleteApps, waitContainersServing, waitGone, waitServing } from './berth-waits.js';
import { formatMs, median, now, waitUntil } from './probes.js';
import {
  rawBuild,
  rawRemove,
  rawRunAndWait,
  rawStopAndRemove,
  type RawContainer,
  type RawTarget,
} from './raw-docker.js';
import type { BenchOutcome, BenchRow } from './report.js';

export const START_STOP_SCALE_METHOD =
  'API call → all 10 replicas answer 200 (scale 1→10, start) or none left in Docker (stop, with the ' +
  'default 3 s drain and with drain 0); raw = DockerEngine create+start ×N in parallel + poll 200, ' +
  'stop+remove ×10 in parallel; dependency-free app, 256 MB plan; median of 3 rounds (quick: 1)';

const REPLICAS = 10;

/** A Berth scale or start: until the API lists every replica serving, and until the containers did. */
interface Sample {
  totalMs: number;
  containersServingMs: number;
}
const MARKER = 'start-stop-scale';
const TIMEOUT_MS = 180_000;

export async function runStartStopScaleBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const rounds = ctx.quick ? 1 : 3;
  const { stack } = ctx;
  const raw: RawTarget = { engine: stack.engine, runId: stack.runId, network: stack.rawNetwork };
  const client = await stack.tenant('scale');
  const defaultDrainMs = stack.config.drainDelayMs;
  const berth = {
    scaleUp: [] as Sample[],
    stop: [] as number[],
    stopNoDrain: [] as number[],
    start: [] as Sample[],
  };
  const rawMs = { scaleUp: [] as number[], stop: [] as number[], start: [] as number[] };
  const archive = await minimalApp(MARKER);
  const app = await client.createApp('scale');
  const rawImage = `berth-bench-${stack.runId}-scale:latest`;
  let rawRunning: RawContainer[] = [];
  try {
    // Setup (not timed): one replica running on each side.
    const buildId = await client.upload('scale', archive);
    await waitServing(client, 'scale', { count: 1, body: MARKER, buildId, timeoutMs: TIMEOUT_MS });
    await rawBuild(raw, { archive, tag: rawImage, plan: BENCH_PLAN });
    const rawWith = (count: number) =>
      rawRunAndWait(raw, {
        image: rawImage,
        appName: 'scale',
        plan: BENCH_PLAN,
        count,
        body: MARKER,
        timeoutMs: TIMEOUT_MS,
      });
    rawRunning = await rawWith(1);

    const timed = async (what: string, samples: number[], action: () => Promise<unknown>) => {
      const t0 = now();
      await action();
      samples.push(now() - t0);
      ctx.log(`${what}: ${formatMs(samples[samples.length - 1])}`);
    };
    /**
     * A Berth call that ends with every replica serving. Also records when the containers themselves
     * (found in Docker, not through the API) all answered, to show how much of the time is Berth
     * noticing readiness.
     */
    const timedServing = async (what: string, samples: Sample[], call: () => Promise<void>) => {
      const t0 = now();
      await call();
      const direct = waitContainersServing(stack.engine, app.id, {
        count: REPLICAS,
        body: MARKER,
        timeoutMs: TIMEOUT_MS,
      }).then(() => now() - t0);
      direct.catch(() => undefined);
      await waitServing(client, 'scale', { count: REPLICAS, body: MARKER, timeoutMs: TIMEOUT_MS });
      const sample = { totalMs: now() - t0, containersServingMs: await direct };
      samples.push(sample);
      ctx.log(
        `${what}: ${formatMs(sample.totalMs)} (containers all answered at ${formatMs(sample.containersServingMs)})`,
      );
    };

    for (let round = 1; round <= rounds; round++) {
      const tag = `round ${round}/${rounds}`;
      await timedServing(`${tag} Berth scale 1→${REPLICAS}`, berth.scaleUp, () =>
        client.scale('scale', REPLICAS),
      );
      await timed(`${tag} Berth stop ${REPLICAS} (drain ${defaultDrainMs} ms)`, berth.stop, async () => {
        await client.stop('scale');
        await waitGone(client, stack.engine, 'scale', { appId: app.id, timeoutMs: TIMEOUT_MS });
      });
      await timedServing(`${tag} Berth start ${REPLICAS}`, berth.start, () => client.start('scale'));

      await timed(`${tag} raw   scale 1→${REPLICAS}`, rawMs.scaleUp, async () => {
        rawRunning = [...rawRunning, ...(await rawWith(REPLICAS - 1))];
      });
      await timed(`${tag} raw   stop ${REPLICAS}`, rawMs.stop, async () => {
        await rawStopAndRemove(raw, rawRunning);
        rawRunning = [];
      });
      await timed(`${tag} raw   start ${REPLICAS}`, rawMs.start, async () => {
        rawRunning = await rawWith(REPLICAS);
      });

      // Back to one replica for the next round (not timed). The last round leaves Berth's 10 running
      // for the drain-0 stops below.
      await rawRemove(raw, rawRunning.slice(1));
      rawRunning = rawRunning.slice(0, 1);
      if (round < rounds) {
        await client.scale('scale', 1);
        await waitUntil(
          'scale to 1',
          async () => {
            const state = await client.app('scale');
            return state.converged && state.endpoints.length === 1;
          },
          { timeoutMs: TIMEOUT_MS },
        );
      }
    }

    // The same stop with drainDelayMs 0: the API restarted with BERTH_DRAIN_DELAY_MS=0 (it adopts the
    // running replicas), so stopping is only SIGTERM + remove, the work the raw side does.
    ctx.log('restarting the API with drainDelayMs 0 (replicas are adopted)');
    await stack.restartApi({ drainDelayMs: 0 });
    for (let round = 1; round <= rounds; round++) {
      await waitServing(client, 'scale', { count: REPLICAS, body: MARKER, timeoutMs: TIMEOUT_MS });
      await timed(
        `round ${round}/${rounds} Berth stop ${REPLICAS} (drain 0)`,
        berth.stopNoDrain,
        async () => {
          await client.stop('scale');
          await waitGone(client, stack.engine, 'scale', { appId: app.id, timeoutMs: TIMEOUT_MS });
        },
      );
      if (round < rounds) await client.start('scale');
    }
  } finally {
    await deleteApps(client, stack.engine, [app]).catch((error) => ctx.log(`cleanup: ${error}`));
    await rawRemove(raw, rawRunning).catch(() => undefined);
    if (!stack.running || stack.config.drainDelayMs !== defaultDrainMs) {
      ctx.log(`restarting the API with its default drainDelayMs ${defaultDrainMs}`);
      await stack.restartApi({});
    }
  }

  const row = (name: string, berthSamples: (number | Sample)[], rawSamples: number[]): BenchRow => {
    const b = median(berthSamples.map((s) => (typeof s === 'number' ? s : s.totalMs)));
    const direct = berthSamples.flatMap((s) => (typeof s === 'number' ? [] : [s.containersServingMs]));
    const r = median(rawSamples);
    const note = direct.length > 0 ? ` (containers up at ${formatMs(median(direct))})` : '';
    return { name, berth: `${formatMs(b)}${note}`, raw: formatMs(r), ratio: b / r };
  };
  return {
    name: 'start-stop-scale',
    method: START_STOP_SCALE_METHOD,
    rows: [
      row(`scale 1 → ${REPLICAS} (call → all 200)`, berth.scaleUp, rawMs.scaleUp),
      row(`start ${REPLICAS} (call → all 200)`, berth.start, rawMs.start),
      row(`stop ${REPLICAS}, drain ${defaultDrainMs} ms (default)`, berth.stop, rawMs.stop),
      row(`stop ${REPLICAS}, drain 0 (compared)`, berth.stopNoDrain, rawMs.stop),
    ],
    details: { rounds, replicas: REPLICAS, defaultDrainMs, berth, raw: rawMs },
    durationMs: now() - started,
  };
}
