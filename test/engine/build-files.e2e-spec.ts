import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { filesCapabilityOf, hardenedContainerSpec, tenantNetworkName } from '../../libs/engine/index.js';
import { cleanupTestRun, collectLogs, ensureRuntimeImage, testEngine, uniqueId } from '../support/docker.js';

const engine = testEngine();
const files = filesCapabilityOf(engine);

beforeAll(async () => {
  await ensureRuntimeImage(engine);
});

afterAll(async () => {
  await cleanupTestRun(engine);
});

function tarOf(entries: { name: string; body?: string }[]): Readable {
  const pack = tarStream.pack();
  for (const { name, body } of entries) {
    if (body === undefined) pack.entry({ name, type: 'directory', uid: 10001, gid: 10001, mode: 0o755 });
    else pack.entry({ name, uid: 10001, gid: 10001, mode: 0o644 }, body);
  }
  pack.finalize();
  return Readable.from(pack);
}

async function names(tar: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const extract = tarStream.extract();
  const found: Record<string, string> = {};
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      found[entry.header.name] = Buffer.concat(chunks).toString();
    }
  })();
  (tar as Readable).pipe(extract);
  await reading;
  return found;
}

describe('build files on the real engine (tmpfs volume, putArchive, getArchive, streamed exec)', () => {
  it('moves files in and out of a read-only build container through its sized volume', async () => {
    const tenantId = uniqueId('files');
    const volume = uniqueId('berth-build-vol');
    await engine.ensureNetwork({ name: tenantNetworkName(tenantId), labels: { 'berth.tenant': tenantId } });
    await files.createVolume({ name: volume, labels: { 'berth.tenant': tenantId }, sizeMb: 8, uid: 10001 });
    const spec = hardenedContainerSpec({
      tenantId,
      appId: uniqueId('app'),
      appName: 'files',
      role: 'build',
      instance: 'b0',
      image: 'berth/node-runtime:local',
      cmd: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
      env: {},
      plan: { memoryMb: 128, cpuMillis: 500 },
      volumes: [{ name: volume, target: '/build' }],
    });
    const { id } = await engine.createContainer(spec);
    await engine.startContainer({ id });

    await files.putArchive({
      id,
      path: '/build',
      tar: tarOf([{ name: 'app/' }, { name: 'app/in.txt', body: 'in' }]),
    });
    const lines: string[] = [];
    const result = await engine.execInContainer({
      id,
      cmd: [
        'node',
        '-e',
        `const fs = require('fs'); fs.writeFileSync('out.txt', fs.readFileSync('in.txt', 'utf8') + ' and out');
         console.log('wrote'); try { fs.writeFileSync('big', Buffer.alloc(16 << 20)); } catch (e) { console.error(e.code); }`,
      ],
      workingDir: '/build/app',
      onLine: ({ stream, text }) => lines.push(`${stream}: ${text}`),
    });
    expect(result.exitCode).toBe(0);
    // The volume's size bounds what the container may write there.
    expect(lines).toEqual(['stdout: wrote', 'stderr: ENOSPC']);

    const out = await files.getArchive({ id, path: '/build/app/out.txt' });
    expect(await names(out!)).toEqual({ 'out.txt': 'in and out' });
    expect(await files.getArchive({ id, path: '/build/app/missing' })).toBeUndefined();

    await engine.removeContainer({ id, force: true });
    await files.removeVolume({ name: volume });
    await files.removeVolume({ name: volume }); // absent is fine
  }, 60_000);

  it('commits files extracted into a container that never runs as an image of one more layer', async () => {
    const tag = `${uniqueId('berth-test-commit')}:k1`;
    const labels = { 'berth.app': uniqueId('app'), 'berth.image-kind': 'dependencies' };
    const base = await engine.inspectImage({ ref: 'berth/node-runtime:local' });
    const committed = await files.commitFiles({
      baseImage: 'berth/node-runtime:local',
      path: '/app',
      tar: tarOf([
        { name: 'node_modules/' },
        { name: 'node_modules/m/index.js', body: 'module.exports = 42;' },
      ]),
      tag,
      labels,
    });
    const image = await engine.inspectImage({ ref: tag });
    await committed.removed;
    expect(image?.labels).toMatchObject({
      ...base!.labels,
      ...labels,
      'berth.test-run': process.env.BERTH_TEST_RUN,
    });
    expect(image?.user).toBe(base!.user);
    // The container it was assembled in is gone; the files are in the image, owned by the app's uid.
    expect(await engine.listContainers({ labels, all: true })).toEqual([]);
    const tenantId = uniqueId('commit');
    await engine.ensureNetwork({ name: tenantNetworkName(tenantId), labels: { 'berth.tenant': tenantId } });
    const { id } = await engine.createContainer(
      hardenedContainerSpec({
        tenantId,
        appId: labels['berth.app'],
        appName: 'commit',
        role: 'run',
        instance: 'c0',
        image: tag,
        cmd: [
          'node',
          '-e',
          `const fs = require('fs'); console.log(require('/app/node_modules/m'), fs.statSync('/app/node_modules/m/index.js').uid)`,
        ],
        env: {},
        plan: { memoryMb: 128, cpuMillis: 500 },
      }),
    );
    await engine.startContainer({ id });
    expect(await engine.waitContainer({ id })).toEqual({ exitCode: 0 });
    expect((await collectLogs(engine, id)).map((line) => line.text)).toEqual(['42 10001']);
    await engine.removeContainer({ id, force: true });
    await engine.removeImage({ ref: tag });
  }, 60_000);
});
