import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ContainerEngine } from '../../libs/engine/index.js';
import { LB_IMAGE } from '../../libs/runtime/index.js';
import { tarGz } from '../support/archives.js';
import { testEngine } from '../support/docker.js';
import { getWithHost } from '../support/host-request.js';

export interface LoadResult {
  ok: number;
  failed: number;
  /** Distinct failure messages with their counts. */
  failures: Record<string, number>;
  /** Response bodies with their counts (the replicas that answered). */
  bodies: Record<string, number>;
  elapsedMs: number;
}

export interface RunningLoad {
  /** Counts so far. */
  snapshot(): LoadResult;
  /** Stops the clients (each finishes its current request) and returns the counts. */
  stop(): Promise<LoadResult>;
}

/**
 * `clients` concurrent loops of GET `url` (keep-alive, as fetch does), each pausing `pauseMs` between
 * requests so the API and reconciler sharing this process keep their share of the CPU. Bounded in time and
 * count; only ever to 127.0.0.1. Any status other than 200, any network error or timeout is a failure.
 */
export function startLoad(
  url: string,
  options: {
    clients?: number;
    pauseMs?: number;
    maxDurationMs?: number;
    maxRequests?: number;
    /** A Host header to send instead of the URL's (requests to an edge router); keep-alive like fetch. */
    hostHeader?: string;
  } = {},
): RunningLoad {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`load goes only to 127.0.0.1, not ${target.hostname}`);
  const { clients = 8, pauseMs = 5, maxDurationMs = 300_000, maxRequests = 400_000 } = options;
  const started = Date.now();
  const deadline = started + maxDurationMs;
  const result: LoadResult = { ok: 0, failed: 0, failures: {}, bodies: {}, elapsedMs: 0 };
  let stopped = false;
  const fail = (reason: string) => {
    result.failed += 1;
    result.failures[reason] = (result.failures[reason] ?? 0) + 1;
  };
  const get = async (agent: http.Agent): Promise<{ status: number; text: string }> => {
    if (options.hostHeader !== undefined) return getWithHost(url, options.hostHeader, { agent });
    const res = await fetch(target, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text() };
  };
  const loop = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (!stopped && Date.now() < deadline && result.ok + result.failed < maxRequests) {
      try {
        const { status, text } = await get(agent);
        if (status === 200) {
          result.ok += 1;
          result.bodies[text] = (result.bodies[text] ?? 0) + 1;
        } else {
          fail(`HTTP ${status}: ${text.slice(0, 80)}`);
        }
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        fail(`${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
      }
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    agent.destroy();
  };
  const loops = Array.from({ length: clients }, loop);
  const snapshot = () => ({
    ...result,
    failures: { ...result.failures },
    bodies: { ...result.bodies },
    elapsedMs: Date.now() - started,
  });
  return {
    snapshot,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return snapshot();
    },
  };
}

/** `[lb] <phase>: N ok, M failed (…)` on stdout, so the counts show in the test output. */
export function report(phase: string, load: LoadResult): void {
  const replicas = Object.keys(load.bodies).length;
  const failures = Object.entries(load.failures)
    .map(([reason, count]) => `${count}× ${reason}`)
    .join('; ');
  process.stdout.write(
    `[lb] ${phase}: ${load.ok} ok, ${load.failed} failed in ${(load.elapsedMs / 1000).toFixed(1)} s, ` +
      `answered by ${replicas} replica(s)${failures ? ` — failures: ${failures}` : ''}\n`,
  );
}

/** `[lb] reloads: …` from the API's log: how many reloads the run made, how long they took, what failed. */
export function reportReloads(apiLog: string): void {
  const durations: number[] = [];
  const problems: string[] = [];
  for (const line of apiLog.split('\n')) {
    if (!line.includes('"context":"LoadBalancers"')) continue;
    const msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
    const reload = / reloaded with \d+ backend\(s\) in (\d+) ms/.exec(msg);
    if (reload) durations.push(Number(reload[1]));
    else if (/not applied|failed|orphan/.test(msg)) problems.push(msg);
  }
  durations.sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  process.stdout.write(
    `[lb] reloads: ${durations.length}, median ${median} ms, max ${durations.at(-1) ?? 0} ms; ` +
      `${problems.length} problem(s)${problems.length ? `: ${problems.slice(0, 5).join(' | ')}` : ''}\n`,
  );
}

/** An Express app answering `GET /` with its replica's identity (the container's hostname) and `version`. */
export function identityApp(version: string): Promise<Buffer> {
  return tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({
        name: 'whoami',
        version: '1.0.0',
        scripts: { start: 'node server.js' },
        dependencies: { express: '^4.21.0' },
      }),
    },
    {
      name: 'server.js',
      body: `const express = require('express');
const os = require('os');
const app = express();
const id = process.env.HOSTNAME || os.hostname();
app.get('/', (req, res) => res.send(id + ' ${version}'));
app.get('/healthz', (req, res) => res.send('ok'));
const server = app.listen(process.env.PORT, () => console.log('listening as ' + id));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    },
  ]);
}

/** Makes sure the HAProxy image exists, building it offline with scripts/build-base-images.sh if not. */
export async function ensureHaproxyImage(engine: ContainerEngine = testEngine()): Promise<string> {
  if (await engine.inspectImage({ ref: LB_IMAGE })) return LB_IMAGE;
  const script = path.resolve('scripts/build-base-images.sh');
  await promisify(execFile)('bash', [script], {
    env: { ...process.env, BERTH_VERIFY_REGISTRY: '0' },
    timeout: 300_000,
  });
  if (!(await engine.inspectImage({ ref: LB_IMAGE }))) throw new Error(`${script} did not build ${LB_IMAGE}`);
  return LB_IMAGE;
}
