import { finished, type Readable } from 'node:stream';
import {
  LABELS,
  execCapabilityOf,
  filesCapabilityOf,
  hasStatsCapability,
  readHostPidsCounters,
  type ContainerEngine,
  type ContainerExecCapability,
  type ContainerFilesCapability,
} from '../engine/index.js';
import {
  BUILD_APP_DIR,
  BUILD_UID,
  BUILD_VOLUME_TARGET,
  classifyInstallFailure,
  DEPENDENCY_IMAGE_PREFIX,
  dependencyImageTag,
  dependencyKey,
  freshObservation,
  installArgv,
  installContainerSpec,
  installVolumeName,
  observeOutputLine,
  parsePidsCounters,
  PIDS_COUNTERS_ARGV,
  type BuildLimits,
  type DependencyManifest,
  type InstallObservation,
} from './build-containment.js';
import { MAX_LINES_PER_BUILD } from './build-log.store.js';
import { dependencyLayerTar, installInputTar } from './dependency-context.js';

/** The label that marks an app's dependency images (pruned per app and host, see pruneDependencyImages). */
export const DEPENDENCY_IMAGE_LABEL = 'berth.image-kind';
/** Between two looks at the container's process count. */
const PIDS_SAMPLE_MS = 1000;
/** Samples at the limit in a row before the build is stopped (one could be a burst npm recovers from). */
const PIDS_SAMPLES_AT_LIMIT = 2;
/** Install output kept in the build log; the rest of the log's room is for the platform's own lines
 * (the failure reason must not be lost behind a flood: a fork bomb prints "Cannot fork" in a loop). */
const MAX_INSTALL_LOG_LINES = MAX_LINES_PER_BUILD - 1000;

/** The install step failed; `message` is the line for the build log (classifyInstallFailure). */
export class InstallFailedError extends Error {
  override name = 'InstallFailedError';
}

export interface DependencyImageInput {
  engine: ContainerEngine;
  tenantId: string;
  appId: string;
  appName: string;
  buildId: string;
  runtimeImage: string;
  manifests: DependencyManifest[];
  hasLockfile: boolean;
  limits: BuildLimits;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * The app's dependency image: on the host already (`reused`), or the layer that makes it, to be committed
 * with the app's layer in one call (the runner's commitLayers: the dependency image is the runtime image
 * plus `layer`, tagged `image` with `labels`).
 */
export type DependencyImage =
  | { image: string; reused: true }
  | {
      image: string;
      reused: false;
      /** node_modules as the install left it, filtered (dependencyLayerTar). Read or destroy it. */
      layer: Readable;
      labels: Record<string, string>;
      /**
       * The install container's and volume's removal and the prune of the app's older dependency images,
       * started once `layer` has been read (or destroyed). Never rejects; await it before the build ends.
       */
      cleanedUp: Promise<void>;
    };

/**
 * The app's dependency image on this host for these manifests: reused when the host already has it
 * (same package.json, lockfile, .npmrc, install command and runtime image), else installed in a hardened
 * build container, whose node_modules becomes the layer of a new image (no RUN step). Rejects with
 * InstallFailedError (a limit or npm's exit code), with `signal.reason` on cancel/timeout (after removing
 * the install container).
 */
export async function ensureDependencyImage(input: DependencyImageInput): Promise<DependencyImage> {
  const { engine, log } = input;
  const runtime = await engine.inspectImage({ ref: input.runtimeImage });
  if (!runtime) throw new Error(`runtime image ${input.runtimeImage} is not on the build host`);
  const argv = installArgv(input.hasLockfile);
  const key = dependencyKey({ manifests: input.manifests, argv, runtimeImageId: runtime.id });
  const image = dependencyImageTag(input.appId, key);
  if (await engine.inspectImage({ ref: image })) {
    log(
      `[berth] dependencies unchanged since an earlier build on this host (key ${key.slice(0, 12)}): reusing them`,
    );
    return { image, reused: true };
  }
  const files = filesCapabilityOf(engine);
  const exec = execCapabilityOf(engine);
  const { limits } = input;
  log(
    `[berth] installing dependencies (${argv.join(' ')}) as uid ${BUILD_UID} with ${limits.memoryMb} MB for processes, ` +
      `${limits.diskMb} MB to write, ${limits.pidsLimit} processes, no capabilities`,
  );
  const volumeName = installVolumeName(input.buildId);
  const labels = { [LABELS.tenant]: input.tenantId, [LABELS.app]: input.appId, 'berth.build': input.buildId };
  await files.createVolume({ name: volumeName, labels, sizeMb: limits.diskMb, uid: BUILD_UID });
  let containerId: string | undefined;
  const removeInstall = async () => {
    if (containerId !== undefined)
      await engine.removeContainer({ id: containerId, force: true }).catch(() => undefined);
    await files
      .removeVolume({ name: volumeName })
      .catch((error: unknown) => log(`[berth] warning: ${String(error)}`));
  };
  try {
    const spec = installContainerSpec({ ...input, image: input.runtimeImage, volumeName, limits });
    containerId = (await engine.createContainer(spec)).id;
    const id = containerId;
    const observation = await runInstall({ ...input, files, exec, id, argv });
    const failure = classifyInstallFailure(observation, limits, argv);
    log(
      `[berth] install ended with code ${observation.exitCode}; at most ${observation.pidsPeak} processes seen`,
    );
    if (failure !== undefined) throw new InstallFailedError(failure);
    const nodeModules = await files.getArchive({
      id,
      path: `${BUILD_APP_DIR}/node_modules`,
      signal: input.signal,
    });
    const layer = dependencyLayerTar({ nodeModules });
    // The volume holds node_modules until the layer has been read out of it.
    const read = new Promise<void>((resolve) => finished(layer, () => resolve()));
    const cleanedUp = read
      .then(removeInstall)
      .then(() => pruneDependencyImages(engine, input.appId, image))
      .catch((error: unknown) => log(`[berth] warning: ${String(error)}`));
    return {
      image,
      reused: false,
      layer,
      labels: { ...labels, [DEPENDENCY_IMAGE_LABEL]: 'dependencies' },
      cleanedUp,
    };
  } catch (error) {
    await removeInstall();
    throw error;
  }
}

/**
 * Starts the install container, puts the manifests in its volume, runs npm through exec (output to the
 * log line by line) while watching for OOM events and the process count. A container at its process
 * limit for PIDS_SAMPLES_AT_LIMIT samples is killed: a fork bomb would otherwise hold it until the timeout.
 */
async function runInstall(
  input: DependencyImageInput & {
    files: ContainerFilesCapability;
    exec: ContainerExecCapability;
    id: string;
    argv: string[];
  },
): Promise<InstallObservation> {
  const { engine, id, limits } = input;
  const observation = freshObservation();
  let logged = 0;
  const watching = new AbortController();
  const watchers = [
    watchOom(engine, input.buildId, observation, watching.signal),
    watchPids(engine, id, limits.pidsLimit, observation, watching.signal),
  ];
  try {
    await engine.startContainer({ id });
    await input.files.putArchive({
      id,
      path: BUILD_VOLUME_TARGET,
      tar: installInputTar(input.manifests),
      signal: input.signal,
    });
    const result = await input.exec.execInContainer({
      id,
      cmd: input.argv,
      workingDir: BUILD_APP_DIR,
      // The runner's timer (the plan's build timeout) aborts `signal` first; this is a backstop.
      timeoutMs: (limits.timeoutSeconds + 60) * 1000,
      signal: input.signal,
      onLine: ({ text }) => {
        observeOutputLine(observation, text);
        logged += 1;
        if (logged <= MAX_INSTALL_LOG_LINES) input.log(text);
        else if (logged === MAX_INSTALL_LOG_LINES + 1)
          input.log(`[berth] install output after ${MAX_INSTALL_LOG_LINES} lines is not kept`);
      },
    });
    observation.exitCode = result.exitCode;
    await readPidsCounters(input.exec, id, observation, input.signal);
    // An OOM event can arrive just after the exec ends.
    if (result.exitCode !== 0 && !observation.oomKilled) await delay(300);
    return observation;
  } finally {
    watching.abort();
    await Promise.allSettled(watchers);
  }
}

/**
 * The cgroup's own counters after npm ended: the peak and the forks refused at the limit (sampling misses
 * a fork bomb that detached and churns). Read from this machine's cgroup files when the container runs
 * here, else by an exec in the container, which cannot even fork while the limit is still full.
 */
async function readPidsCounters(
  exec: ContainerExecCapability,
  id: string,
  observation: InstallObservation,
  signal: AbortSignal,
): Promise<void> {
  try {
    // From this machine's cgroup files when the container runs here: no exec round trip.
    const counters =
      (await readHostPidsCounters(id)) ??
      parsePidsCounters(
        (await exec.execInContainer({ id, cmd: PIDS_COUNTERS_ARGV, timeoutMs: 10_000, signal })).stdout,
      );
    observation.pidsPeak = Math.max(observation.pidsPeak, counters.peak ?? 0);
    observation.forkRefusals = Math.max(observation.forkRefusals, counters.forkRefusals ?? 0);
  } catch (error) {
    if (signal.aborted) throw error;
    if (/resource temporarily unavailable|fork/i.test(String(error))) observation.forkRefusals += 1;
  }
}

async function watchOom(
  engine: ContainerEngine,
  buildId: string,
  observation: InstallObservation,
  signal: AbortSignal,
): Promise<void> {
  try {
    for await (const event of engine.events({ labels: { 'berth.build': buildId }, signal })) {
      if (event.type === 'oom') observation.oomKilled = true;
    }
  } catch {
    // Without events the failure is reported by exit code.
  }
}

async function watchPids(
  engine: ContainerEngine,
  id: string,
  pidsLimit: number,
  observation: InstallObservation,
  signal: AbortSignal,
): Promise<void> {
  let atLimit = 0;
  while (!signal.aborted) {
    try {
      const pids = await processCount(engine, id, signal);
      if (signal.aborted) return;
      observation.pidsPeak = Math.max(observation.pidsPeak, pids);
      atLimit = pids >= pidsLimit ? atLimit + 1 : 0;
      if (atLimit >= PIDS_SAMPLES_AT_LIMIT && !signal.aborted) {
        observation.stoppedAtProcessLimit = true;
        await engine.killContainer({ id });
        return;
      }
    } catch {
      // Not started yet or already gone: look again.
    }
    await delay(PIDS_SAMPLE_MS, signal);
  }
}

/**
 * The container's process count now. One-shot counters when the engine has them: the core `stats` waits
 * for Docker's second sample (about a second) and cannot be aborted, so the install's end waited for it.
 */
async function processCount(engine: ContainerEngine, id: string, signal: AbortSignal): Promise<number> {
  if (!hasStatsCapability(engine)) return (await engine.stats({ id })).pids;
  return (await engine.readContainerCounters({ id, signal }))?.pids ?? 0;
}

/**
 * Removes the app's other dependency images on this host (their layers stay while app images use them).
 * Only `berth-deps-` tags: an app image is made FROM a dependency image and would inherit its kind label
 * if it did not set its own, and untagging an older release's image would break a rollback to it.
 */
export async function pruneDependencyImages(
  engine: ContainerEngine,
  appId: string,
  keep: string,
): Promise<void> {
  const images = await engine
    .listImages({ labels: { [LABELS.app]: appId, [DEPENDENCY_IMAGE_LABEL]: 'dependencies' } })
    .catch(() => []);
  const tags = images.flatMap((image) => image.tags);
  for (const tag of tags.filter((tag) => tag !== keep && tag.startsWith(DEPENDENCY_IMAGE_PREFIX))) {
    await engine.removeImage({ ref: tag }).catch(() => undefined);
  }
}

/** Every dependency image of a deleted app on this host (call after its release images are gone). */
export async function removeDependencyImages(engine: ContainerEngine, appId: string): Promise<void> {
  const images = await engine.listImages({
    labels: { [LABELS.app]: appId, [DEPENDENCY_IMAGE_LABEL]: 'dependencies' },
  });
  for (const image of images) await engine.removeImage({ ref: image.id, force: true });
}

/**
 * Resolves after `ms`, or at once when `signal` fires or has fired (a sample aborted at npm's end lands
 * here after the abort: waiting would hold the build for a whole period); leaves no listener on `signal`.
 */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
