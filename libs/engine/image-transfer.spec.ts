import { describe, expect, it } from '@jest/globals';
import { EngineError, ImageUnavailableError } from './engine-errors.js';
import { FakeEngine } from './fake-engine.js';
import { ensureImage } from './image-transfer.js';

const REF = 'berth/app-1:v3';

describe('ensureImage', () => {
  it('does nothing when the target already has the image', async () => {
    const target = new FakeEngine();
    const source = new FakeEngine();
    target.addImage({ ref: REF });
    source.addImage({ ref: REF });
    expect(await ensureImage({ ref: REF, target, sources: [source] })).toEqual({ transferred: false });
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
      transferred: true,
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
