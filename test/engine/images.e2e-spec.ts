import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import tar from 'tar-stream';
import {
  BuildFailedError,
  ImageUnavailableError,
  ensureImage,
  tenantNetworkName,
} from '../../libs/engine/index.js';
import { FakeEngine } from '../../libs/engine/testing/index.js';
import {
  RUNTIME_IMAGE,
  TEST_RUN_LABEL,
  cleanupTestRun,
  ensureRuntimeImage,
  testEngine,
  testRunId,
  uniqueId,
} from '../support/docker.js';

const MB = 1024 * 1024;
const engine = testEngine();
const tenantId = uniqueId('build');
/** Builds run on the tenant's network (not the default bridge every tenant's build shares). */
const networkName = tenantNetworkName(tenantId);

/** A build context: a tar with these files at its root, made in memory with tar-stream. */
function buildContext(files: Record<string, string>): NodeJS.ReadableStream {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  return Readable.from(pack); // tar-stream 3 packs are streamx streams; the engine takes a Node stream
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const build = (options: {
  tag: string;
  files: Record<string, string>;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}) =>
  engine.buildImage({
    context: buildContext(options.files),
    tag: options.tag,
    labels: { 'berth.tenant': tenantId },
    memoryMb: 256,
    cpuMillis: 1000,
    networkName,
    onLog: options.onLog,
    signal: options.signal,
  });

beforeAll(async () => {
  await ensureRuntimeImage(engine);
  await engine.ensureNetwork({ name: networkName, labels: { 'berth.tenant': tenantId } });
});

afterAll(async () => {
  await cleanupTestRun(engine);
});

describe('images on the real engine', () => {
  it('builds from a tar context, streaming the log line by line, under the plan limits', async () => {
    const tag = `berth-test/app:${testRunId()}`;
    const logs: string[] = [];
    const { imageId } = await build({
      tag,
      files: {
        Dockerfile: [
          `FROM ${RUNTIME_IMAGE}`,
          'COPY server.js /app/server.js',
          `RUN node -e "console.log('step ran as uid', process.getuid())"`,
          'RUN sh -c \'echo "nofile=$(ulimit -n) memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"\'',
          'USER 10001',
          'CMD ["node", "/app/server.js"]',
        ].join('\n'),
        'server.js': "console.log('hello from the built app')",
      },
      onLog: (line) => logs.push(line),
    });
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(logs.some((line) => /^Step 1\/\d+ : FROM /.test(line))).toBe(true);
    expect(logs).toContain('step ran as uid 0');
    expect(logs).toContain(`nofile=4096 memory=${256 * MB}`);
    expect(logs.every((line) => !line.includes('\n'))).toBe(true);

    const image = await engine.inspectImage({ ref: tag });
    expect(image).toMatchObject({ id: imageId, tags: [tag], user: '10001' });
    expect(image?.labels).toMatchObject({ 'berth.tenant': tenantId, [TEST_RUN_LABEL]: testRunId() });
    const listed = await engine.listImages({
      labels: { [TEST_RUN_LABEL]: testRunId(), 'berth.tenant': tenantId },
    });
    expect(listed.map((entry) => entry.id)).toContain(imageId);
  });

  it('rejects a failing RUN with a BuildFailedError carrying the builder message', async () => {
    const logs: string[] = [];
    const failing = build({
      tag: `berth-test/broken:${testRunId()}`,
      files: {
        Dockerfile: `FROM ${RUNTIME_IMAGE}\nRUN node -e "console.error('npm ERR! boom'); process.exit(3)"`,
      },
      onLog: (line) => logs.push(line),
    });
    await expect(failing).rejects.toBeInstanceOf(BuildFailedError);
    await expect(failing).rejects.toMatchObject({
      buildError: expect.stringContaining('returned a non-zero code: 3'),
    });
    expect(logs).toContain('npm ERR! boom');
    expect(await engine.inspectImage({ ref: `berth-test/broken:${testRunId()}` })).toBeUndefined();
  });

  it('stops a build when its signal is aborted', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const building = build({
      tag: `berth-test/slow:${testRunId()}`,
      files: {
        Dockerfile: `FROM ${RUNTIME_IMAGE}\nRUN node -e "console.log('sleeping'); setTimeout(() => {}, 60000)"`,
      },
      onLog: (line) => {
        if (line === 'sleeping') abort.abort();
      },
      signal: abort.signal,
    });
    await expect(building).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('saves an image and loads it back (a save → load round trip on one engine)', async () => {
    const tag = `berth-test/roundtrip:${testRunId()}`;
    const { imageId } = await build({
      tag,
      files: {
        Dockerfile: 'FROM scratch\nCOPY hello.txt /hello.txt\nLABEL berth.test.kind=roundtrip',
        'hello.txt': 'hi',
      },
    });
    const saved = await readAll(await engine.saveImage({ ref: tag }));
    expect(saved.length).toBeGreaterThan(1024);

    await engine.removeImage({ ref: tag, force: true });
    expect(await engine.inspectImage({ ref: tag })).toBeUndefined();
    await engine.removeImage({ ref: tag }); // absent is fine

    await engine.loadImage({ tar: Readable.from(saved) });
    expect(await engine.inspectImage({ ref: tag })).toMatchObject({ id: imageId, tags: [tag] });
  });

  it('ensureImage streams an image from a host that has it into one that lacks it', async () => {
    const tag = `berth-test/transfer:${testRunId()}`;
    const { imageId } = await build({
      tag,
      files: { Dockerfile: 'FROM scratch\nCOPY hello.txt /hello.txt', 'hello.txt': 'transfer me' },
    });
    // One real engine on this machine: a fake source host holds the real `docker save` bytes.
    const sourceHost = new FakeEngine();
    sourceHost.addImage({ ref: tag, tar: await readAll(await engine.saveImage({ ref: tag })) });
    await engine.removeImage({ ref: tag, force: true });

    expect(await ensureImage({ ref: tag, target: engine, sources: [new FakeEngine(), sourceHost] })).toEqual({
      path: 'host',
    });
    expect((await engine.inspectImage({ ref: tag }))?.id).toBe(imageId);
    expect(await ensureImage({ ref: tag, target: engine, sources: [sourceHost] })).toEqual({
      path: 'present',
    });
    await expect(
      ensureImage({ ref: `berth-test/nowhere:${testRunId()}`, target: engine, sources: [sourceHost] }),
    ).rejects.toBeInstanceOf(ImageUnavailableError);
  });

  it('rejects saving an image that does not exist with a 404 EngineError', async () => {
    await expect(engine.saveImage({ ref: `berth-test/absent:${testRunId()}` })).rejects.toMatchObject({
      name: 'EngineError',
      statusCode: 404,
    });
  });
});
