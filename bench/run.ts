/**
 * Runs every benchmark in one go, each side by side with its raw baseline, prints progress and a final
 * table of ratios, and writes bench/results/latest.json plus a recorded copy named by date and commit
 * (committed; `npm run bench:table` makes README.md's table from those). Methods: bench/README.md.
 *
 *   npm run bench                       # full run (~15 minutes on 2 cores)
 *   npm run bench -- --quick            # CI smoke: smaller sizes, figures are noisy (~4 minutes)
 *   npm run bench -- --only deploy,density
 *   npm run bench -- --only deploy --warm-only   # warm deploys alone (not a full deploy run; kept out of
 *                                                # the README table)
 *
 * Exit code 1 when a benchmark failed or the cleanup was incomplete. Timings are never asserted.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { RUNTIME_IMAGE } from '../libs/builds/index.js';
import { DockerEngine } from '../libs/engine/index.js';
import {
  BENCH_PLAN,
  BENCH_SMALL_PLAN,
  BenchStack,
  DOCKER_ENDPOINT,
  type BenchContext,
} from './bench-stack.js';
import { CONCURRENT_METHOD, runConcurrentDeploysBench } from './concurrent-deploys.js';
import { DENSITY_METHOD, runDensityBench } from './density.js';
import { DEPLOY_METHOD, runDeployBench } from './deploy.js';
import { LOGS_METHOD, PLACEMENT_METHOD, runLogs, runPlacement } from './external-benches.js';
import { formatMs, now } from './probes.js';
import { machineFacts, renderTable, writeReport, type BenchOutcome, type BenchReport } from './report.js';
import { ROUTER_METHOD, runRouterBench } from './router.js';
import { WAKE_METHOD, runWakeBench } from './wake.js';
import { RESULTS_DIR, recordedRunFileName } from './results-table.js';
import { SCALE_METHOD, runScaleBench } from './scale.js';
import { START_STOP_SCALE_METHOD, runStartStopScaleBench } from './start-stop-scale.js';
import { THROUGHPUT_METHOD, runThroughputBench } from './throughput.js';

interface Benchmark {
  name: string;
  method: string;
  /** Needs the database, the API and Docker (started once, after the self-contained ones ran). */
  needsStack: boolean;
  run: (ctx: BenchContext) => Promise<BenchOutcome>;
}

/** In table order (the brief's numbering); the self-contained ones run first, before the API starts. */
const BENCHMARKS: Benchmark[] = [
  { name: 'deploy', method: DEPLOY_METHOD, needsStack: true, run: runDeployBench },
  {
    name: 'start-stop-scale',
    method: START_STOP_SCALE_METHOD,
    needsStack: true,
    run: runStartStopScaleBench,
  },
  { name: 'logs', method: LOGS_METHOD, needsStack: false, run: (ctx) => runLogs(ctx.quick) },
  { name: 'throughput', method: THROUGHPUT_METHOD, needsStack: true, run: runThroughputBench },
  { name: 'placement', method: PLACEMENT_METHOD, needsStack: false, run: (ctx) => runPlacement(ctx.quick) },
  { name: 'density', method: DENSITY_METHOD, needsStack: true, run: runDensityBench },
  { name: 'concurrent-deploys', method: CONCURRENT_METHOD, needsStack: true, run: runConcurrentDeploysBench },
  { name: 'router', method: ROUTER_METHOD, needsStack: true, run: runRouterBench },
  { name: 'wake', method: WAKE_METHOD, needsStack: true, run: runWakeBench },
  // Last: it leaves hundreds of replicas running until the stack's cleanup.
  { name: 'scale', method: SCALE_METHOD, needsStack: true, run: runScaleBench },
];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseArgs(argv: readonly string[]): {
  quick: boolean;
  warmOnly: boolean;
  only: Set<string> | undefined;
} {
  const quick = argv.includes('--quick');
  const warmOnly = argv.includes('--warm-only');
  const onlyIndex = argv.indexOf('--only');
  const only = onlyIndex === -1 ? undefined : new Set((argv[onlyIndex + 1] ?? '').split(',').filter(Boolean));
  for (const arg of argv) {
    if (arg.startsWith('--') && !['--quick', '--warm-only', '--only'].includes(arg))
      throw new Error(`unknown option ${arg}`);
  }
  for (const name of only ?? []) {
    if (!BENCHMARKS.some((b) => b.name === name)) {
      throw new Error(`unknown benchmark ${name} (one of ${BENCHMARKS.map((b) => b.name).join(', ')})`);
    }
  }
  return { quick, warmOnly, only };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { quick, warmOnly, only } = parseArgs(argv);
  const selected = BENCHMARKS.filter((b) => !only || only.has(b.name));
  const runId = `b${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const started = now();
  const loadAtStart = machineFacts().load;
  const outcomes: BenchOutcome[] = [];
  let stack: BenchStack | undefined;
  let cleanup: unknown;
  let settings: Record<string, unknown> = {};
  let failed = false;

  // Ctrl-C and SIGTERM once the stack runs: BenchStack cleans up and exits (see takeOverSignals).
  say(
    `[bench] run ${runId}${quick ? ' (quick)' : ''}: ${selected.map((b) => b.name).join(', ')}; ` +
      `${machineFacts().cpus} CPUs, ${machineFacts().memoryGb} GB, Node ${process.version}`,
  );
  const runOne = async (bench: Benchmark) => {
    const prefix = `[${bench.name}]`;
    say(`\n${prefix} method: ${bench.method}`);
    const ctx: BenchContext = { stack: stack!, quick, warmOnly, log: (line) => say(`${prefix} ${line}`) };
    const t0 = now();
    try {
      const outcome = await bench.run(ctx);
      outcomes.push(outcome);
      if (outcome.error) {
        failed = true;
        say(`${prefix} FAILED: ${outcome.error}`);
      }
      say(`${prefix} done in ${formatMs(now() - t0)}`);
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      say(
        `${prefix} FAILED after ${formatMs(now() - t0)}: ${error instanceof Error ? error.stack : message}`,
      );
      outcomes.push({
        name: bench.name,
        method: bench.method,
        rows: [{ name: bench.name, berth: `FAILED: ${message.slice(0, 120)}`, raw: '–', ratio: null }],
        error: message,
        durationMs: now() - t0,
      });
    }
  };

  try {
    for (const bench of selected.filter((b) => !b.needsStack)) await runOne(bench);
    const stackBenches = selected.filter((b) => b.needsStack);
    if (stackBenches.length > 0) {
      say('\n[bench] starting PostgreSQL, migrations and the API (in this process)…');
      await BenchStack.preflight(RUNTIME_IMAGE);
      stack = await BenchStack.start(runId, (line) => say(`[bench] ${line}`));
      await stack.createPlans();
      settings = {
        reconcileIntervalMs: stack.config.reconcileIntervalMs,
        drainDelayMs: stack.config.drainDelayMs,
        buildConcurrency: stack.config.buildConcurrency,
        logLevel: stack.config.logLevel,
        runtimeImage: RUNTIME_IMAGE,
        plans: [BENCH_PLAN, BENCH_SMALL_PLAN],
      };
      for (const bench of stackBenches) await runOne(bench);
    }
  } catch (error) {
    failed = true;
    say(`[bench] FAILED: ${error instanceof Error ? error.stack : error}`);
  } finally {
    if (stack) {
      say(`\n[bench] cleaning up run ${runId} (containers, networks, images, database)…`);
      try {
        cleanup = await stack.close();
        say(`[bench] removed ${JSON.stringify(cleanup)}`);
      } catch (error) {
        failed = true;
        cleanup = { error: String(error) };
        say(`[bench] cleanup incomplete: ${error}`);
      }
    }
  }

  const order = BENCHMARKS.map((b) => b.name);
  outcomes.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const report: BenchReport = {
    runId,
    date: new Date().toISOString(),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    quick,
    ...(warmOnly ? { warmOnly } : {}),
    machine: { ...machineFacts(), loadAtStart, docker: await dockerVersion() },
    source: await sourceState(),
    settings,
    durationMs: now() - started,
    benchmarks: outcomes,
    cleanup,
  };
  const file = await writeReport(report);
  const recorded = await writeReport(report, path.join(RESULTS_DIR, recordedRunFileName(report)));
  say(`\n[bench] results (${report.command}, ${formatMs(report.durationMs)} in all):\n`);
  say(renderTable(outcomes));
  say(`\n[bench] wrote ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), recorded)}`);
  say('[bench] commit the recorded run and run `npm run bench:table` to put it in README.md');
  return failed ? 1 : 0;
}

/** The commit the run measured, and how many files differed from it (other engineers' work in progress). */
async function sourceState(): Promise<{ commit: string; changedFiles: number } | undefined> {
  try {
    const git = (...args: string[]) => promisify(execFile)('git', args).then((out) => out.stdout.trim());
    const changed = await git('status', '--porcelain');
    return {
      commit: await git('rev-parse', '--short', 'HEAD'),
      changedFiles: changed === '' ? 0 : changed.split('\n').length,
    };
  } catch {
    return undefined;
  }
}

async function dockerVersion(): Promise<string | undefined> {
  try {
    return (await new DockerEngine({ endpoint: DOCKER_ENDPOINT }).info()).engineVersion;
  } catch {
    return undefined;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
