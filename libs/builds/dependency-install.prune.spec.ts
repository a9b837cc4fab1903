import { describe, expect, it } from '@jest/globals';
import type { ContainerEngine, ImageSummary } from '../engine/index.js';
import { pruneDependencyImages } from './dependency-install.js';

/** The two calls pruneDependencyImages makes, over a fixed image list (the engine's label filter included). */
function engineWith(images: (Pick<ImageSummary, 'id' | 'tags'> & { labels: Record<string, string> })[]) {
  const removed: string[] = [];
  const engine = {
    listImages: ({ labels }: { labels: Record<string, string> }) =>
      Promise.resolve(
        images.filter((image) => Object.entries(labels).every(([key, value]) => image.labels[key] === value)),
      ),
    removeImage: ({ ref }: { ref: string }) => {
      removed.push(ref);
      return Promise.resolve();
    },
  } as unknown as ContainerEngine;
  return { engine, removed };
}

describe('pruneDependencyImages', () => {
  const deps = { 'berth.app': 'a1', 'berth.image-kind': 'dependencies' };

  it("untags the app's older dependency images, never an app image that inherited their label", async () => {
    const { engine, removed } = engineWith([
      { id: 'sha256:1', tags: ['berth-deps-a1:old'], labels: deps },
      { id: 'sha256:2', tags: ['berth-deps-a1:new'], labels: deps },
      // An app image of an older release built before app images carried a kind of their own.
      { id: 'sha256:3', tags: ['berth-app-a1:b-1'], labels: deps },
      {
        id: 'sha256:4',
        tags: ['berth-app-a1:b-2'],
        labels: { 'berth.app': 'a1', 'berth.image-kind': 'app' },
      },
      { id: 'sha256:5', tags: ['berth-deps-a2:x'], labels: { ...deps, 'berth.app': 'a2' } },
    ]);
    await pruneDependencyImages(engine, 'a1', 'berth-deps-a1:new');
    expect(removed).toEqual(['berth-deps-a1:old']);
  });
});
