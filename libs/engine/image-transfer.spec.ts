import { describe, expect, it } from '@jest/globals';
import { EngineError, ImageUnavailableError } from './engine-errors.js';
import { FakeEngine, FakeRegistry } from './testing/index.js';
import { digestReference, ensureImage, publishImage, registryRef, splitReference } from './image-transfer.js';
import { repositoryInRegistry, type RegistryAccess } from './registry-auth.js';

const REF = 'berth/app-1:v3';

describe('ensureImage', () => {
  it('does nothing when the target already has the image', async () => {
    const target = new FakeEngine();
    const source = new FakeEngine();
    target.addImage({ ref: REF });
    source.addImage({ ref: REF });
    expect(await ensureImage({ ref: REF, target, sources: [source] })).toEqual({
      path: 'present',
    });
    expect(source.calls.map((call) => call.method)).not.toContain('saveImage');
  });

  it('streams the image from the first source that has it', async () => {
    const target = new FakeEngine();
    const without = new FakeEngine();
    const first = new FakeEngine();
    const second = new FakeEngine();
    const id = first.addImage({ ref: REF, labels: { 'berth.app': 'app-1' } });
    second.addImage({ ref: REF });
    expect(await ensureImage({ ref: REF, target, sources: [without, first, second] })).toEqual({
      path: 'host',
    });
    expect(await target.inspectImage({ ref: REF })).toMatchObject({
      id,
      tags: [REF],
      labels: { 'berth.app': 'app-1' },
    });
    expect(second.calls.map((call) => call.method)).not.toContain('saveImage');
  });

  it('says the image is on no host when no source has it', async () => {
    const promise = ensureImage({ ref: REF, target: new FakeEngine(), sources: [new FakeEngine()] });
    await expect(promise).rejects.toBeInstanceOf(ImageUnavailableError);
    await expect(promise).rejects.toThrow(`image ${REF} is on no host`);
  });

  it('propagates a failed load as the engine error it is', async () => {
    const target = new FakeEngine();
    const source = new FakeEngine();
    source.addImage({ ref: REF });
    target.failNext(
      'loadImage',
      new EngineError({ operation: 'loadImage', statusCode: 500, message: 'disk full' }),
    );
    await expect(ensureImage({ ref: REF, target, sources: [source] })).rejects.toThrow('disk full');
    expect(await target.inspectImage({ ref: REF })).toBeUndefined();
  });
});

describe('ensureImage with a registry', () => {
  const REGISTRY = '127.0.0.1:5000/berth';
  const REMOTE = `${REGISTRY}/${REF}`;
  /** A stand-in token that says what it grants, so the tests can read which engine got what. */
  const tokenFor = (access: RegistryAccess[]) => `token ${JSON.stringify(access)}`;
  const TARGET = { address: REGISTRY, authorize: tokenFor };
  const setup = () => {
    const registry = new FakeRegistry('127.0.0.1:5000');
    return {
      registry,
      target: new FakeEngine({ registry }),
      builder: new FakeEngine({ registry }),
    };
  };
  const methods = (engine: FakeEngine) => engine.calls.map((call) => call.method);

  it('names images in the registry by the registry address in front of the local name', () => {
    expect(registryRef('127.0.0.1:5000', 'berth-app-1:b-2')).toBe('127.0.0.1:5000/berth-app-1:b-2');
    expect(registryRef('reg.example:443/berth/', REF)).toBe('reg.example:443/berth/berth/app-1:v3');
  });

  it('splits a reference at its tag, never at the registry port', () => {
    expect(splitReference('127.0.0.1:5000/berth/app-1:v3')).toEqual({
      repository: '127.0.0.1:5000/berth/app-1',
      tag: 'v3',
    });
    expect(splitReference('127.0.0.1:5000/berth/app-1')).toEqual({
      repository: '127.0.0.1:5000/berth/app-1',
      tag: 'latest',
    });
  });

  it('pulls from the registry, never from another host, and keeps only the local name', async () => {
    const { registry, target, builder } = setup();
    const id = builder.addImage({ ref: REF, labels: { 'berth.app': 'app-1' } });
    expect(await publishImage({ engine: builder, ref: REF, registry: TARGET })).toEqual({
      remote: REMOTE,
      digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
    });
    expect(registry.refs()).toEqual([REMOTE]);
    expect((await builder.inspectImage({ ref: REF }))?.tags).toEqual([REF]);

    expect(await ensureImage({ ref: REF, target, sources: [builder], registry: TARGET })).toEqual({
      path: 'registry',
    });
    expect(await target.inspectImage({ ref: REF })).toMatchObject({
      id,
      tags: [REF],
      labels: { 'berth.app': 'app-1' },
    });
    expect(methods(builder)).not.toContain('saveImage');
    expect(methods(target)).not.toContain('loadImage');
  });

  it('pushes from a host that has the image when the registry lacks it, then pulls', async () => {
    const { registry, target, builder } = setup();
    builder.addImage({ ref: REF });
    const other = new FakeEngine({ registry });
    const result = await ensureImage({ ref: REF, target, sources: [other, builder], registry: TARGET });
    expect(result.path).toBe('registry');
    expect(registry.refs()).toEqual([REMOTE]);
    expect(methods(builder)).toEqual(expect.arrayContaining(['tagImage', 'pushImage']));
    expect(methods(builder)).not.toContain('saveImage');
    expect((await target.inspectImage({ ref: REF }))?.tags).toEqual([REF]);
  });

  it('pushes once when several hosts need an image the registry lacks at the same time', async () => {
    const { registry, builder } = setup();
    builder.addImage({ ref: REF });
    const targets = [1, 2, 3].map(() => new FakeEngine({ registry }));
    const results = await Promise.all(
      targets.map((target) => ensureImage({ ref: REF, target, sources: [builder], registry: TARGET })),
    );
    expect(results.map((r) => r.path)).toEqual(['registry', 'registry', 'registry']);
    expect(methods(builder).filter((m) => m === 'pushImage')).toHaveLength(1);
    expect((await builder.inspectImage({ ref: REF }))?.tags).toEqual([REF]);
  });

  it('copies host to host, with a warning, while the registry cannot be reached', async () => {
    const { registry, target, builder } = setup();
    builder.addImage({ ref: REF });
    registry.setReachable(false);
    const warnings: string[] = [];
    const result = await ensureImage({
      ref: REF,
      target,
      sources: [builder],
      registry: TARGET,
      onWarning: (message) => warnings.push(message),
    });
    expect(result).toEqual({ path: 'host' });
    expect(await target.inspectImage({ ref: REF })).toBeDefined();
    expect(warnings).toEqual([expect.stringContaining(`registry ${REGISTRY} failed for ${REF}`)]);
    expect(warnings[0]).toContain('connection refused');
  });

  it('says the image is neither on a host nor in the registry when nobody has it', async () => {
    const { target } = setup();
    const promise = ensureImage({ ref: REF, target, sources: [new FakeEngine()], registry: TARGET });
    await expect(promise).rejects.toBeInstanceOf(ImageUnavailableError);
    await expect(promise).rejects.toThrow(`image ${REF} is on no host and not in registry ${REGISTRY}`);
  });

  it('hands each engine a token for its one repository: push and pull to push, pull only to pull', async () => {
    const { target, builder } = setup();
    builder.addImage({ ref: REF });
    await ensureImage({ ref: REF, target, sources: [builder], registry: TARGET });
    const authOf = (engine: FakeEngine, method: string) =>
      engine.calls
        .filter((call) => call.method === method)
        .map((call) => (call.options as { auth?: unknown }).auth);
    expect(authOf(builder, 'pushImage')).toEqual([
      { registryToken: tokenFor([{ repository: 'berth/berth/app-1', actions: ['pull', 'push'] }]) },
    ]);
    const pullOnly = { registryToken: tokenFor([{ repository: 'berth/berth/app-1', actions: ['pull'] }]) };
    expect(authOf(target, 'pullImage')).toEqual([pullOnly, pullOnly]);
  });

  it('pulls a pinned digest, so an image pushed later under the same tag never reaches the host', async () => {
    const { registry, target, builder } = setup();
    const original = builder.addImage({ ref: REF, labels: { content: 'original' } });
    const { digest } = await publishImage({ engine: builder, ref: REF, registry: TARGET });
    const intruder = new FakeEngine({ registry });
    intruder.addImage({ ref: 'something/else:1' }); // so the intruder's image gets another id
    intruder.addImage({ ref: REF, labels: { content: 're-tagged' } });
    await publishImage({ engine: intruder, ref: REF, registry: TARGET });

    expect(await ensureImage({ ref: REF, target, sources: [], registry: TARGET, digest })).toEqual({
      path: 'registry',
    });
    expect(await target.inspectImage({ ref: REF })).toMatchObject({
      id: original,
      labels: { content: 'original' },
    });
    expect(target.calls.find((call) => call.method === 'pullImage')?.options).toMatchObject({
      ref: `${REGISTRY}/berth/app-1@${digest}`,
    });
  });

  it('copies a pinned image from a host when the registry lost its digest, and never pushes it again', async () => {
    const { target, builder } = setup();
    const id = builder.addImage({ ref: REF });
    const gone = `sha256:${'0'.repeat(64)}`;
    const warnings: string[] = [];
    const result = await ensureImage({
      ref: REF,
      target,
      sources: [builder],
      registry: TARGET,
      digest: gone,
      onWarning: (message) => warnings.push(message),
    });
    expect(result).toEqual({ path: 'host' });
    expect((await target.inspectImage({ ref: REF }))?.id).toBe(id);
    expect(methods(builder)).not.toContain('pushImage');
    expect(warnings).toEqual([
      `registry ${REGISTRY} has no ${REGISTRY}/berth/app-1@${gone}; copying ${REF} from another host`,
    ]);
  });

  it('refuses a pinned image that neither the registry nor any host has', async () => {
    const { target } = setup();
    const promise = ensureImage({
      ref: REF,
      target,
      sources: [],
      registry: TARGET,
      digest: `sha256:${'1'.repeat(64)}`,
    });
    await expect(promise).rejects.toBeInstanceOf(ImageUnavailableError);
  });

  it('names a digest reference by repository, and refuses anything but a sha256 digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(digestReference(`${REGISTRY}/berth/app-1:v3`, digest)).toBe(`${REGISTRY}/berth/app-1@${digest}`);
    expect(splitReference(`${REGISTRY}/berth/app-1@${digest}`)).toEqual({
      repository: `${REGISTRY}/berth/app-1`,
      tag: digest,
    });
    expect(() => digestReference(REMOTE, 'sha256:abc')).toThrow('not a sha256 manifest digest');
    expect(() => digestReference(REMOTE, `md5:${'a'.repeat(32)}`)).toThrow();
    expect(repositoryInRegistry(`${REGISTRY}/berth/app-1@${digest}`)).toBe('berth/berth/app-1');
    expect(repositoryInRegistry('reg.example:443/prefix/berth-app-1:b-2')).toBe('prefix/berth-app-1');
  });

  it('leaves the built image as it was when the push fails', async () => {
    const { registry, builder } = setup();
    builder.addImage({ ref: REF });
    registry.setReachable(false);
    await expect(publishImage({ engine: builder, ref: REF, registry: TARGET })).rejects.toThrow(
      'connection refused',
    );
    expect((await builder.inspectImage({ ref: REF }))?.tags).toEqual([REF]);
  });
});
