/**
 * Where an API read spends its CPU: the throughput bench's targets under the same load (autocannon in a
 * worker thread, 10 connections), each with the V8 sampling profiler on the main thread (the server's
 * thread) for the measured seconds. Prints per target the sampled CPU per request and the top self-time
 * frames, and writes each profile to .data/profiles/ (open it in Chrome DevTools). Figures: bench/README.md.
 *
 *   npm run build && node dist/bench/profile-api.js [seconds]   # default 4 s per target
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchStack } from './bench-stack.js';
import { load, startBareNest } from './load.js';
import { CONNECTIONS, listingTenant } from './throughput.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Sampled time per frame (function, file, line) and per package, in ms; idle time left out. */
export function selfTimes(profile: Profile): {
  busyMs: number;
  frames: [string, number][];
  packages: [string, number][];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Stopping the profiler (the inspector's dispatch, serialising the profile) is not the server's work.
  const profilerOwn = new Set<number>();
  const mark = (node: ProfileNode, inside: boolean): void => {
    const own = inside || node.callFrame.url === 'node:inspector';
    if (own) profilerOwn.add(node.id);
    for (const child of node.children ?? []) mark(byId.get(child)!, own);
  };
  mark(profile.nodes[0]!, false);
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || profilerOwn.has(id)) return;
    busyMs += ms;
    const file = url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
    const frame = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    frames.set(frame, (frames.get(frame) ?? 0) + ms);
    const pkg =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/dist/') ? 'berth' : url.startsWith('node:') ? 'node' : `${functionName} (native)`);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { busyMs, frames: sorted(frames), packages: sorted(packages) };
}

async function main(seconds: number): Promise<void> {
  const runId = `p${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const stack = await BenchStack.start(runId, say);
  const bare = await startBareNest();
  const session = new Session();
  session.connect();
  const out = path.resolve('.data/profiles', runId);
  await fsp.mkdir(out, { recursive: true });
  try {
    await stack.createPlans();
    const client = await listingTenant(stack, 'profile');
    const headers = { authorization: await client.authorization() };
    const targets: [string, string, Record<string, string> | undefined][] = [
      ['bare', bare.url, undefined],
      ['healthz', `${stack.url}/healthz`, undefined],
      ['me', `${stack.url}/v1/me`, headers],
      ['apps', `${stack.url}/v1/apps`, headers],
    ];
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    for (const [name, url, targetHeaders] of targets) {
      await load({ url, headers: targetHeaders, connections: CONNECTIONS, durationSeconds: 1 });
      await session.post('Profiler.start');
      const result = await load({
        url,
        headers: targetHeaders,
        connections: CONNECTIONS,
        durationSeconds: seconds,
      });
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      await fsp.writeFile(path.join(out, `${name}.cpuprofile`), JSON.stringify(profile));
      const { busyMs, frames, packages } = selfTimes(profile);
      const perRequest = (ms: number) => `${((ms / result.requests) * 1000).toFixed(0)} µs`;
      say(
        `\n## ${name}: ${result.requests} requests, ${result.requestsPerSecond.toFixed(0)} req/s, main thread ` +
          `busy ${perRequest(busyMs)} per request`,
      );
      say(
        `packages: ${packages
          .slice(0, 12)
          .map(([p, ms]) => `${p} ${perRequest(ms)}`)
          .join(', ')}`,
      );
      for (const [frame, ms] of frames.slice(0, 25)) {
        say(`  ${perRequest(ms).padStart(7)}  ${((ms / busyMs) * 100).toFixed(1).padStart(5)} %  ${frame}`);
      }
    }
    say(`\nprofiles in ${path.relative(process.cwd(), out)}`);
  } finally {
    session.disconnect();
    await bare.close();
    await stack.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(Number(process.argv[2] ?? 4)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
