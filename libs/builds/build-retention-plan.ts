import type { BuildStatus } from './build.entity.js';

/** What retention reads of one build of an app. */
export interface RetentionBuild {
  id: string;
  status: BuildStatus;
  image: string | null;
  expiredAt: Date | null;
  imageRemovedAt: Date | null;
}

/** What retention reads of one release of the app. */
export interface RetentionRelease {
  id: string;
  version: number;
  image: string | null;
  imageDigest: string | null;
}

export interface RetentionPlan {
  /** Builds whose sources and log go now (oldest first). */
  expire: string[];
  /** Images to delete from hosts and the registry, each with the builds that made it (oldest first). */
  removeImages: { image: string; buildIds: string[] }[];
  /** Registry digests of kept releases: never deleted, whatever tag they are reached by. */
  keptDigests: Set<string>;
  /** More work than this batch held: run again soon. */
  more: boolean;
}

const FINISHED: ReadonlySet<BuildStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Which of an app's builds expire and which images go (pure). The newest `keep` finished builds are kept
 * whole; older finished builds lose their sources and log. Queued, running (and receiving) builds are never
 * touched and do not count. An expired build's image goes too, unless a kept release references it: the
 * app's current release and its newest `keep` releases (by version), which rollback may use. A release
 * outside those whose image goes can no longer be rolled back to. An image is deleted once, whichever
 * builds made it; at most `batch` builds and `batch` images per call.
 */
export function planBuildRetention(input: {
  keep: number;
  /** Newest first (the database orders them: its timestamps are finer than a Date's). */
  builds: RetentionBuild[];
  releases: RetentionRelease[];
  currentReleaseId: string | null;
  batch: number;
}): RetentionPlan {
  const keep = Math.max(1, input.keep);
  const finished = input.builds.filter((b) => FINISHED.has(b.status));
  const keptBuilds = finished.slice(0, keep);
  const beyond = finished.slice(keep).reverse();

  const keptReleases = [...input.releases]
    .sort((a, b) => b.version - a.version)
    .filter((r, index) => index < keep || r.id === input.currentReleaseId);
  const keptImages = new Set<string>();
  const keptDigests = new Set<string>();
  for (const release of keptReleases) {
    if (release.image) keptImages.add(release.image);
    if (release.imageDigest) keptDigests.add(release.imageDigest);
  }
  for (const build of keptBuilds) if (build.image) keptImages.add(build.image);

  const expiring = beyond.filter((b) => b.expiredAt === null);
  const imageBuilds = new Map<string, string[]>();
  for (const build of beyond) {
    if (!build.image || build.imageRemovedAt || keptImages.has(build.image)) continue;
    imageBuilds.set(build.image, [...(imageBuilds.get(build.image) ?? []), build.id]);
  }
  const removeImages = [...imageBuilds].map(([image, buildIds]) => ({ image, buildIds }));
  return {
    expire: expiring.slice(0, input.batch).map((b) => b.id),
    removeImages: removeImages.slice(0, input.batch),
    keptDigests,
    more: expiring.length > input.batch || removeImages.length > input.batch,
  };
}
