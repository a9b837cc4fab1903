import { planBuildRetention, type RetentionBuild, type RetentionRelease } from './build-retention-plan.js';

/** Builds b<n>, newest first as the database gives them; each finished one made image i<n>. */
function builds(...specs: (number | [number, Partial<RetentionBuild>])[]): RetentionBuild[] {
  return specs.map((spec) => {
    const [n, extra] = typeof spec === 'number' ? [spec, {}] : spec;
    return {
      id: `b${n}`,
      status: 'succeeded',
      image: `i${n}`,
      expiredAt: null,
      imageRemovedAt: null,
      ...extra,
    };
  });
}

/** Release v<version> of build b<n> (image i<n>). */
function release(version: number, n: number): RetentionRelease {
  return { id: `r${version}`, version, image: `i${n}`, imageDigest: `sha256:d${n}` };
}

const EXPIRED = new Date('2026-12-01T00:00:00Z');

describe('planBuildRetention', () => {
  it('keeps the newest N finished builds and expires the older ones, oldest first, with their images', () => {
    const plan = planBuildRetention({
      keep: 2,
      builds: builds(4, 3, 2, 1),
      releases: [release(4, 4), release(3, 3)],
      currentReleaseId: 'r4',
      batch: 25,
    });
    expect(plan.expire).toEqual(['b1', 'b2']);
    expect(plan.removeImages).toEqual([
      { image: 'i1', buildIds: ['b1'] },
      { image: 'i2', buildIds: ['b2'] },
    ]);
    expect(plan.keptDigests).toEqual(new Set(['sha256:d4', 'sha256:d3']));
    expect(plan.more).toBe(false);
  });

  it('never touches queued or running builds, and they do not count towards N', () => {
    const plan = planBuildRetention({
      keep: 2,
      builds: builds(
        [6, { status: 'queued', image: null }],
        [5, { status: 'running', image: null }],
        4,
        3,
        2,
      ),
      releases: [release(3, 4), release(2, 3), release(1, 2)],
      currentReleaseId: 'r3',
      batch: 25,
    });
    expect(plan.expire).toEqual(['b2']);
    expect(plan.removeImages).toEqual([{ image: 'i2', buildIds: ['b2'] }]);
  });

  it('expires failed and cancelled builds too (they count as finished, and have no image to delete)', () => {
    const plan = planBuildRetention({
      keep: 1,
      builds: builds(3, [2, { status: 'failed', image: null }], [1, { status: 'cancelled', image: null }]),
      releases: [release(1, 3)],
      currentReleaseId: 'r1',
      batch: 25,
    });
    expect(plan.expire).toEqual(['b1', 'b2']);
    expect(plan.removeImages).toEqual([]);
  });

  it('keeps the image of the current release when its build is beyond N (a rollback to an old build)', () => {
    // v5 rolled back to v1 (build b1): b1 expires (sources, log) but its image runs.
    const plan = planBuildRetention({
      keep: 2,
      builds: builds(4, 3, 2, 1),
      releases: [release(5, 1), release(4, 4), release(3, 3), release(2, 2), release(1, 1)],
      currentReleaseId: 'r5',
      batch: 25,
    });
    expect(plan.expire).toEqual(['b1', 'b2']);
    expect(plan.removeImages).toEqual([{ image: 'i2', buildIds: ['b2'] }]);
    expect(plan.keptDigests.has('sha256:d1')).toBe(true);
  });

  it('keeps the images of the newest N releases even when the current one is older (rolled back)', () => {
    // The current release is v2 (an operator rolled back); the newest two, v4 and v3, stay reachable.
    const plan = planBuildRetention({
      keep: 2,
      builds: builds(5, 4, 3, 2, 1),
      releases: [release(4, 3), release(3, 1), release(2, 2), release(1, 1)],
      currentReleaseId: 'r2',
      batch: 25,
    });
    expect(plan.expire).toEqual(['b1', 'b2', 'b3']);
    // i1 (v3), i2 (current v2) and i3 (v4) are referenced by kept releases; nothing is deleted.
    expect(plan.removeImages).toEqual([]);
  });

  it('deletes the image of a build expired earlier once no kept release references it any more', () => {
    const plan = planBuildRetention({
      keep: 1,
      builds: builds(3, [2, { expiredAt: EXPIRED }], [1, { expiredAt: EXPIRED, imageRemovedAt: EXPIRED }]),
      releases: [release(3, 3)],
      currentReleaseId: 'r3',
      batch: 25,
    });
    expect(plan.expire).toEqual([]);
    expect(plan.removeImages).toEqual([{ image: 'i2', buildIds: ['b2'] }]);
  });

  it('is idempotent: a plan already carried out asks for nothing', () => {
    const plan = planBuildRetention({
      keep: 2,
      builds: builds(
        4,
        3,
        [2, { expiredAt: EXPIRED, imageRemovedAt: EXPIRED }],
        [1, { expiredAt: EXPIRED, imageRemovedAt: EXPIRED }],
      ),
      releases: [release(4, 4), release(3, 3)],
      currentReleaseId: 'r4',
      batch: 25,
    });
    expect(plan).toMatchObject({ expire: [], removeImages: [], more: false });
  });

  it('works in batches, oldest first, and says when more is left', () => {
    const plan = planBuildRetention({
      keep: 1,
      builds: builds(6, 5, 4, 3, 2, 1),
      releases: [release(1, 6)],
      currentReleaseId: 'r1',
      batch: 2,
    });
    expect(plan.expire).toEqual(['b1', 'b2']);
    expect(plan.removeImages.map((i) => i.image)).toEqual(['i1', 'i2']);
    expect(plan.more).toBe(true);
  });

  it('treats a retention below 1 as 1: the newest finished build is always kept', () => {
    const plan = planBuildRetention({
      keep: 0,
      builds: builds(2, 1),
      releases: [],
      currentReleaseId: null,
      batch: 25,
    });
    expect(plan.expire).toEqual(['b1']);
  });
});
