import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  MAX_LINE_BYTES,
  hardenedContainerSpec,
  tenantNetworkName,
  type ContainerEngine,
  type LogLine,
} from '../../libs/engine/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import {
  RUNTIME_IMAGE,
  cleanupTestRun,
  ensureRuntimeImage,
  testEngine,
  uniqueId,
} from '../support/docker.js';
import { buildLog, uploadBuild, waitForBuild } from '../support/lifecycle.js';

const MiB = 1024 * 1024;
/**
 * How much this process (the API, in-process) may grow while tenant code floods it. The streams hold a
 * few MiB at most (docs/architecture.md, "Bounded tenant streams"); the rest is room for the garbage
 * collector's timing. Before the bound, a 300 MiB flood grew it by several hundred MiB.
 */
const RSS_GROWTH_BOUND = 96 * MiB;
const CUT_LINE = /^x+ \[truncated, line longer than \d+ bytes\]$/;

/** `node -e` code writing `mib` MiB of "x" to stdout without a newline (with backpressure), then "\nend\n". */
function floodScript(mib: number): string {
  return `const chunk = Buffer.alloc(1024 * 1024, 'x'); let left = ${mib};
const write = () => { while (left > 0) { left -= 1; if (!process.stdout.write(chunk)) return process.stdout.once('drain', write); }
  process.stdout.write('\\nend\\n'); };
write();`;
}

/** Runs `work` while sampling this process's RSS; the highest growth over the start, in bytes. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * A tenant container running `node -e script`, whose json-file log holds the whole flood: with the
 * default rotation (10 MiB × 3) the daemon drops files a lagging follower has not read yet.
 */
async function startFloodContainer(engine: ContainerEngine, script: string): Promise<string> {
  const tenantId = uniqueId('flood');
  await engine.ensureNetwork({ name: tenantNetworkName(tenantId), labels: { 'berth.tenant': tenantId } });
  const spec = hardenedContainerSpec({
    tenantId,
    appId: uniqueId('app'),
    appName: 'flood',
    releaseVersion: 1,
    role: 'web',
    instance: 'r0',
    image: RUNTIME_IMAGE,
    env: {},
    plan: { memoryMb: 128, cpuMillis: 1000 },
    cmd: ['node', '-e', script],
  });
  const { id } = await engine.createContainer({ ...spec, logMaxSizeMb: 512, logMaxFiles: 1 });
  await engine.startContainer({ id });
  return id;
}

describe('tenant output floods without a newline', () => {
  const engine = testEngine();
  let api: TestApi | undefined;

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun(engine);
  }, 120_000);

  it('a followed container writing 300 MiB without a newline: one cut line, bounded memory', async () => {
    const id = await startFloodContainer(engine, floodScript(300));
    const { result: lines, growth } = await peakRssGrowth(async () => {
      const seen: LogLine[] = [];
      for await (const line of engine.containerLogs({ id, follow: true })) {
        seen.push(line);
        if (line.text === 'end') break;
      }
      return seen;
    });
    process.stdout.write(`[log flood] 300 MiB followed: RSS growth ${(growth / MiB).toFixed(1)} MiB\n`);
    expect(
      lines.map((line) => [line.stream, CUT_LINE.test(line.text) ? '<cut line>' : line.text.slice(0, 80)]),
    ).toEqual([
      ['stdout', '<cut line>'],
      ['stdout', 'end'],
    ]);
    expect(Buffer.byteLength(lines[0]!.text)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
  }, 120_000);

  it('a build whose preinstall writes 200 MiB without a newline: cut lines in the build log, bounded memory', async () => {
    api = await startTestApi({ runWorkers: true });
    const owner: Session = await signupOwner(api, 'build-flood');
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'flooder' }).expect(201);
    const archive = await tarGz([
      {
        name: 'package.json',
        body: JSON.stringify({
          name: 'flooder',
          version: '1.0.0',
          main: 'index.js',
          scripts: { preinstall: `node -e "${floodScript(200).replace(/\n/g, ' ').replace(/"/g, '\\"')}"` },
        }),
      },
      { name: 'index.js', body: 'setInterval(() => {}, 1000);' },
    ]);
    const { result, growth } = await peakRssGrowth(async () => {
      const buildId = await uploadBuild(api!, owner, 'flooder', archive);
      return { buildId, build: await waitForBuild(api!, owner, 'flooder', buildId, 110_000) };
    });
    process.stdout.write(`[build flood] 200 MiB preinstall: RSS growth ${(growth / MiB).toFixed(1)} MiB\n`);
    const log = (await buildLog(api, owner, 'flooder', result.buildId)).split('\n');
    expect(result.build.status).toBe('succeeded');
    const cut = log.filter((line) => line.includes('[truncated, line longer than'));
    expect(cut).toHaveLength(1);
    expect(cut[0]!.startsWith('xxxx')).toBe(true);
    expect(log).toContain('end');
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
  }, 120_000);
});
