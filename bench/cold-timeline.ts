/**
 * Where a cold build's time goes, step by step (a diagnostic next to the deploy bench, not a benchmark):
 * `node dist/bench/cold-timeline.js [rounds]` starts the bench stack and, per round (default 3), builds
 * the bench's Express app with a new dependency key on both sides, back to back: raw Docker (classic
 * builder, no limits, as the deploy bench's cold row) with each output line's arrival time, and Berth
 * (upload until the build's finished_at) with every Engine API call the build runner made (timed by a
 * wrapper around the pool's engine, in this process) and the install's first and last output lines.
 * Method and figures: bench/README.md, "Where a cold build's time goes".
 */
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DataSource } from 'typeorm';
import type { ContainerEngine } from '../libs/engine/index.js';
import { EnginePool } from '../libs/hosts/index.js';
import { expressApp } from './bench-archives.js';
import { BENCH_PLAN, BenchStack } from './bench-stack.js';
import { deleteApps } from './berth-waits.js';
import { median } from './probes.js';
import { rawBuild } from './raw-docker.js';

interface Call {
  name: string;
  start: number;
  end?: number;
  firstLine?: number;
  lastLine?: number;
}

/** Engine methods whose timing says nothing about a build (the control loops call them all the time). */
const UNTIMED = new Set(['listContainers', 'inspectContainer', 'stats', 'events', 'ping', 'listImages']);

/** Wraps the pool's engines so each call's start and end (and an exec's output lines) are recorded. */
function recordEngineCalls(pool: EnginePool, calls: Call[]): void {
  const original = pool.engineFor.bind(pool);
  const wrapped = new WeakMap<ContainerEngine, ContainerEngine>();
  pool.engineFor = async (host) => {
    const engine = await original(host);
    let proxy = wrapped.get(engine);
    if (!proxy) {
      proxy = new Proxy(engine, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string' || UNTIMED.has(property))
            return value;
          return (...args: unknown[]) => {
            const call: Call = { name: property, start: Date.now() };
            calls.push(call);
            const options = args[0] as { onLine?: (line: unknown) => void } | undefined;
            if (options && typeof options.onLine === 'function') {
              const onLine = options.onLine;
              args[0] = {
                ...options,
                onLine: (line: unknown) => {
                  call.firstLine ??= Date.now();
                  call.lastLine = Date.now();
                  onLine(line);
                },
              };
            }
            const result = (value as (...a: unknown[]) => unknown).apply(target, args);
            if (result instanceof Promise)
              return result.finally(() => {
                call.end = Date.now();
              });
            call.end = Date.now();
            return result;
          };
        },
      });
      wrapped.set(engine, proxy);
    }
    return proxy;
  };
}

async function main(rounds: number): Promise<void> {
  const runId = `ct${crypto.randomBytes(4).toString('hex')}`;
  const stack = await BenchStack.start(runId, (line) => console.error(`[cold-timeline] ${line}`));
  const calls: Call[] = [];
  recordEngineCalls(stack.resolve(EnginePool), calls);
  const db = stack.resolve(DataSource);
  const raw = { engine: stack.engine, runId, network: stack.rawNetwork };
  const steps = new Map<string, number[]>();
  const note = (label: string, ms: number) => steps.set(label, [...(steps.get(label) ?? []), ms]);
  try {
    await stack.createPlans();
    const client = await stack.tenant('coldtl');
    const app = await client.createApp('coldtl');
    for (let round = 1; round <= rounds; round++) {
      const key = `${runId}-${round}-${crypto.randomBytes(4).toString('hex')}`;
      const archive = await expressApp({ marker: `cold ${round}`, dependencyKey: key });

      const lines: { at: number; text: string }[] = [];
      const r0 = Date.now();
      await rawBuild(raw, {
        archive,
        tag: `berth-bench-${runId}-cold${round}:latest`,
        plan: BENCH_PLAN,
        limits: 'unlimited',
        onLog: (text) => lines.push({ at: Date.now(), text }),
      });
      const rawMs = Date.now() - r0;
      console.log(`\nround ${round} raw unlimited docker build: ${rawMs} ms`);
      const stepStarts = lines.filter((l) => /^Step \d+\/\d+ :/.test(l.text));
      for (const [i, step] of stepStarts.entries()) {
        const end = stepStarts[i + 1]?.at ?? r0 + rawMs;
        console.log(`  ${String(step.at - r0).padStart(6)} ms  +${end - step.at} ms  ${step.text}`);
        if (/RUN npm/.test(step.text)) {
          note('raw: RUN npm install step', end - step.at);
          note('raw: all but the RUN step', rawMs - (end - step.at));
        }
      }
      note('raw: whole build', rawMs);

      calls.length = 0;
      const t0 = Date.now();
      const buildId = await client.upload('coldtl', archive);
      let build: { started_at: Date; finished_at: Date | null; status: string };
      for (;;) {
        [build] = await db.query('SELECT started_at, finished_at, status FROM builds WHERE id = $1', [
          buildId,
        ]);
        if (build.finished_at) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const started = new Date(build.started_at).getTime();
      const finished = new Date(build.finished_at).getTime();
      console.log(
        `round ${round} Berth build (${build.status}): ${finished - t0} ms upload → finished_at, ` +
          `${finished - started} ms started_at → finished_at`,
      );
      for (const call of calls.filter((c) => c.start <= finished)) {
        const took = call.end === undefined ? 'open' : `+${call.end - call.start} ms`;
        const output =
          call.firstLine === undefined
            ? ''
            : ` (first line +${call.firstLine - call.start} ms, last line +${call.lastLine! - call.start} ms)`;
        console.log(`  ${String(call.start - t0).padStart(6)} ms  ${took.padEnd(10)} ${call.name}${output}`);
        if (call.end !== undefined) note(`berth: ${call.name} (each)`, call.end - call.start);
      }
      // npm's own time is the registry's and the CPU's; around it is what Berth adds (raw: around RUN).
      const install = calls.find((c) => c.name === 'execInContainer' && c.end !== undefined);
      if (install) {
        note('berth: claim → install exec', install.start - started);
        note('berth: install exec (npm)', install.end! - install.start);
        note('berth: install exec end → finished_at', finished - install.end!);
        note('berth: all but npm', finished - started - (install.end! - install.start));
      }
      note('berth: upload → finished_at', finished - t0);
      note('berth: started_at → finished_at', finished - started);
      const log: { at: Date; text: string }[] = await db.query(
        'SELECT at, text FROM build_log_lines WHERE build_id = $1 AND text LIKE $2 ORDER BY seq',
        [buildId, '[berth]%'],
      );
      for (const line of log)
        console.log(`      ${String(new Date(line.at).getTime() - t0).padStart(6)} ms  | ${line.text}`);
    }
    console.log('\nmedians over the rounds (ms):');
    for (const [label, values] of steps)
      console.log(`  ${String(Math.round(median(values))).padStart(6)}  ${label} (n=${values.length})`);
    await deleteApps(client, stack.engine, [{ name: 'coldtl', id: app.id }]);
  } finally {
    await stack.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(Number(process.argv[2] ?? 3)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
