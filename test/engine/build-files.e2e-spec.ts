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

  it('makes a dependency image and an app image on it from new layers in one call', async () => {
    const appId = uniqueId('app');
    const depsTag = `${uniqueId('berth-test-deps')}:k1`;
    const tag = `${uniqueId('berth-test-app')}:b1`;
    const depsLabels = { 'berth.app': appId, 'berth.image-kind': 'dependencies' };
    const labels = { 'berth.app': appId, 'berth.image-kind': 'app' };
    const base = await engine.inspectImage({ ref: 'berth/node-runtime:local' });
    await files.commitLayers({
      baseImage: 'berth/node-runtime:local',
      layers: [
        tarOf([
          { name: 'app/' },
          { name: 'app/node_modules/' },
          { name: 'app/node_modules/m/index.js', body: 'module.exports = 42;' },
        ]),
        tarOf([{ name: 'app/' }, { name: 'app/server.js', body: 'console.log(require("m"))' }]),
      ],
      images: [
        { tag: depsTag, layers: 1, labels: depsLabels },
        {
          tag,
          layers: 2,
          labels,
          config: { cmd: ['node', 'server.js'], env: ['PORT=8080', 'NPM_CONFIG_UPDATE_NOTIFIER=true'] },
        },
      ],
    });
    const deps = await engine.inspectImage({ ref: depsTag });
    const image = await engine.inspectImage({ ref: tag });
    expect(deps?.labels).toMatchObject({ ...base!.labels, ...depsLabels });
    expect(image?.labels).toMatchObject({
      ...base!.labels,
      ...labels,
      'berth.test-run': process.env.BERTH_TEST_RUN,
    });
    expect([image?.user, image?.os, image?.architecture]).toEqual([base!.user, base!.os, base!.architecture]);
    // No container was made to assemble them.
    expect(await engine.listContainers({ labels: { 'berth.app': appId }, all: true })).toEqual([]);
    const tenantId = uniqueId('commit');
    await engine.ensureNetwork({ name: tenantNetworkName(tenantId), labels: { 'berth.tenant': tenantId } });
    const { id } = await engine.createContainer(
      hardenedContainerSpec({
        tenantId,
        appId,
        appName: 'commit',
        role: 'run',
        instance: 'c0',
        image: tag,
        cmd: [
          'node',
          '-e',
          // The image's command, its environment over the base's, and /app still the app user's.
          `const fs = require('fs'); console.log(require('/app/node_modules/m'), fs.statSync('/app/node_modules/m/index.js').uid,
           fs.statSync('/app').uid, fs.readFileSync('/app/server.js', 'utf8').length, process.env.PORT, process.env.NPM_CONFIG_UPDATE_NOTIFIER,
           process.env.NODE_EXTRA_CA_CERTS)`,
        ],
        env: {},
        plan: { memoryMb: 128, cpuMillis: 500 },
      }),
    );
    await engine.startContainer({ id });
    expect(await engine.waitContainer({ id })).toEqual({ exitCode: 0 });
    expect((await collectLogs(engine, id)).map((line) => line.text)).toEqual([
      '42 10001 10001 25 8080 true /etc/ssl/certs/ca-certificates.crt',
    ]);
    await engine.removeContainer({ id, force: true });
    await engine.removeImage({ ref: tag });
    // The dependency image stands alone: removing the app image left its layer.
    expect(await engine.inspectImage({ ref: depsTag })).toBeDefined();
    await engine.removeImage({ ref: depsTag });
  }, 60_000);

  it('rejects a layer that is not a tar with the engine error, and leaves no image', async () => {
    const tag = `${uniqueId('berth-test-bad')}:b1`;
    await expect(
      files.commitLayers({
        baseImage: 'berth/node-runtime:local',
        layers: [Readable.from([Buffer.from('not a tar at all')])],
        images: [{ tag, layers: 1, labels: {} }],
      }),
    ).rejects.toThrow(/commitLayers/);
    expect(await engine.inspectImage({ ref: tag })).toBeUndefined();
  }, 60_000);
});
