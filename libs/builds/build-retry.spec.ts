import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { BuildFailedError } from '../engine/index.js';
import { FakeEngine } from '../engine/testing/index.js';
import { buildWithLostLayerRetry, isLostLayerFailure } from './build-retry.js';

const TAG = 'berth-app-1:b-1';
const lostLayer = new BuildFailedError({ buildError: 'unable to find image "sha256:0f1e"', tag: TAG });

function options(logs: string[]) {
  let contexts = 0;
  return {
    contexts: () => contexts,
    build: {
      context: () => {
        contexts += 1;
        return Readable.from([Buffer.from('context')]);
      },
      tag: TAG,
      labels: {},
      memoryMb: 512,
      cpuMillis: 500,
      onLog: (line: string) => logs.push(line),
    },
  };
}

describe('builds that lose a cached layer', () => {
  it('recognises only the builder losing an image, not a failing RUN step', () => {
    expect(isLostLayerFailure(lostLayer)).toBe(true);
    expect(
      isLostLayerFailure(new BuildFailedError({ buildError: 'No such image: sha256:ab', tag: TAG })),
    ).toBe(true);
    expect(
      isLostLayerFailure(
        new BuildFailedError({
          buildError: "The command '/bin/sh -c npm ci' returned a non-zero code: 1",
          tag: TAG,
        }),
      ),
    ).toBe(false);
    expect(isLostLayerFailure(new Error('unable to find image'))).toBe(false);
  });

  it('builds once more, with a fresh context, and says why in the log', async () => {
    const engine = new FakeEngine();
    engine.failNext('buildImage', lostLayer);
    const logs: string[] = [];
    const { build, contexts } = options(logs);
    const { imageId } = await buildWithLostLayerRetry(engine, build);
    expect((await engine.inspectImage({ ref: TAG }))?.id).toBe(imageId);
    expect(contexts()).toBe(2);
    expect(logs[0]).toContain('lost a cached layer');
  });

  it('fails at once on any other build error, and on a second lost layer', async () => {
    const engine = new FakeEngine();
    const failing = new BuildFailedError({ buildError: 'returned a non-zero code: 1', tag: TAG });
    engine.failNext('buildImage', failing);
    await expect(buildWithLostLayerRetry(engine, options([]).build)).rejects.toBe(failing);
    expect(engine.calls.filter((c) => c.method === 'buildImage')).toHaveLength(1);

    engine.failNext('buildImage', lostLayer);
    engine.failNext('buildImage', lostLayer);
    await expect(buildWithLostLayerRetry(engine, options([]).build)).rejects.toBe(lostLayer);
  });
});
