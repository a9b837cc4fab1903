import crypto from 'node:crypto';
import {
  DEFAULT_NOFILE_LIMIT,
  DEFAULT_PIDS_LIMIT,
  TENANT_UID,
  TMPFS_MB,
  hardenedContainerSpec,
  type ContainerSpec,
} from '../engine/index.js';

/** npm needs room to unpack; a build gets at least this much memory whatever the plan says. */
export const MIN_BUILD_MEMORY_MB = 512;
/** The smallest bound on what a build may write (node_modules and npm's cache). */
export const MIN_BUILD_DISK_MB = 1024;
/** Where the per-build volume is mounted; the project's manifests go to `app/` in it. */
export const BUILD_VOLUME_TARGET = '/build';
export const BUILD_APP_DIR = `${BUILD_VOLUME_TARGET}/app`;

/**
 * The memory and CPU one build of `plan` runs with, as the build row records them at upload (and usage
 * records of kind build carry them): the plan's build allotment, at least MIN_BUILD_MEMORY_MB.
 */
export function buildAllotmentOf(plan: { buildMemoryMb: number; buildCpuMillis: number }): {
  memoryMb: number;
  cpuMillis: number;
} {
  return { memoryMb: Math.max(plan.buildMemoryMb, MIN_BUILD_MEMORY_MB), cpuMillis: plan.buildCpuMillis };
}

/**
 * What the install step of one build may use, from the build row's allotment (recorded from the plan at
 * upload time). The disk bound is stated per plan by derivation: twice the build
 * memory, at least MIN_BUILD_DISK_MB (2048 MB for the default 1024 MB allotment). It is a tmpfs
 * (ext4 + overlay2 give Docker no disk quota), whose pages count toward the container's memory cgroup,
 * so the container's memory limit is processes + files: a disk filler meets ENOSPC before the OOM killer.
 */
export interface BuildLimits {
  /** For processes (at least MIN_BUILD_MEMORY_MB). */
  memoryMb: number;
  /** What the build may write under /build (node_modules, npm's cache, TMPDIR). */
  diskMb: number;
  /** The container's memory (and memory+swap) limit: memoryMb + diskMb. /tmp's tmpfs counts inside it. */
  containerMemoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
  nofileLimit: number;
  timeoutSeconds: number;
}

export function buildLimitsFor(plan: {
  memoryMb: number;
  cpuMillis: number;
  timeoutSeconds: number;
}): BuildLimits {
  const memoryMb = Math.max(plan.memoryMb, MIN_BUILD_MEMORY_MB);
  const diskMb = Math.max(MIN_BUILD_DISK_MB, 2 * memoryMb);
  return {
    memoryMb,
    diskMb,
    containerMemoryMb: memoryMb + diskMb,
    cpuMillis: plan.cpuMillis,
    pidsLimit: DEFAULT_PIDS_LIMIT,
    nofileLimit: DEFAULT_NOFILE_LIMIT,
    timeoutSeconds: plan.timeoutSeconds,
  };
}

/** The install command: constant argv, never a shell string (lifecycle scripts still run through sh). */
export function installArgv(hasLockfile: boolean): string[] {
  return hasLockfile
    ? ['npm', 'ci', '--omit=dev', '--no-audit', '--no-fund']
    : ['npm', 'install', '--omit=dev', '--no-audit', '--no-fund'];
}

/** The environment of the install: production, npm's cache and temp files inside the bounded volume. */
export const INSTALL_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  HOME: '/tmp',
  TMPDIR: `${BUILD_VOLUME_TARGET}/tmp`,
  npm_config_cache: `${BUILD_VOLUME_TARGET}/.npm`,
  npm_config_update_notifier: 'false',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
};

/** PID 1's child: idles so the tmpfs volume stays mounted while the install runs and node_modules is read. */
const IDLE_CMD = ['node', '-e', 'setInterval(() => {}, 1 << 30)'];

export interface InstallContainerInput {
  tenantId: string;
  appId: string;
  appName: string;
  buildId: string;
  image: string;
  volumeName: string;
  limits: BuildLimits;
}

/**
 * The container the install runs in: hardenedContainerSpec's build role (uid 10001, every capability
 * dropped, no-new-privileges, read-only root, /tmp tmpfs, pids and nofile limits, the tenant's
 * network, labels) with the build's limits and its volume. Pure.
 */
export function installContainerSpec(input: InstallContainerInput): ContainerSpec {
  const spec = hardenedContainerSpec({
    tenantId: input.tenantId,
    appId: input.appId,
    appName: input.appName,
    role: 'build',
    instance: input.buildId.replace(/-/g, '').slice(0, 12),
    image: input.image,
    cmd: IDLE_CMD,
    env: INSTALL_ENV,
    plan: { memoryMb: input.limits.containerMemoryMb, cpuMillis: input.limits.cpuMillis },
    extraLabels: { 'berth.build': input.buildId },
    volumes: [{ name: input.volumeName, target: BUILD_VOLUME_TARGET }],
    stopGraceSeconds: 0,
  });
  return { ...spec, pidsLimit: input.limits.pidsLimit, nofileLimit: input.limits.nofileLimit };
}

export function installVolumeName(buildId: string): string {
  return `berth-build-${buildId}`;
}

/** What was seen while the install ran. */
export interface InstallObservation {
  exitCode: number;
  /** The engine reported an OOM kill in the container. */
  oomKilled: boolean;
  /** Most processes (tasks) seen in the container at once (the cgroup's pids.peak when readable). */
  pidsPeak: number;
  /** Forks the kernel refused at the pids limit (the cgroup's pids.events "max"). */
  forkRefusals: number;
  /** Stopped by the platform on reaching the process limit. */
  stoppedAtProcessLimit: boolean;
  /** The output mentioned ENOSPC / "No space left on device". */
  sawNoSpace: boolean;
  /** The output mentioned a failed fork/spawn (EAGAIN, "Resource temporarily unavailable"). */
  sawForkFailure: boolean;
}

const NO_SPACE = /ENOSPC|no space left on device/i;
const FORK_FAILURE = /EAGAIN|resource temporarily unavailable|can't fork|cannot fork/i;

/** Updates an observation from one output line. */
export function observeOutputLine(observation: InstallObservation, text: string): void {
  if (!observation.sawNoSpace && NO_SPACE.test(text)) observation.sawNoSpace = true;
  if (!observation.sawForkFailure && FORK_FAILURE.test(text)) observation.sawForkFailure = true;
}

export function freshObservation(): InstallObservation {
  return {
    exitCode: -1,
    oomKilled: false,
    pidsPeak: 0,
    forkRefusals: 0,
    stoppedAtProcessLimit: false,
    sawNoSpace: false,
    sawForkFailure: false,
  };
}

/**
 * Why an install failed, as one line for the build log and the build's error; `undefined` when it
 * succeeded. The limit that explains the failure wins over the exit code: processes (stopped at the
 * limit, or seen at it, even with exit code 0), memory (the engine's OOM event), the disk bound (ENOSPC),
 * a failed fork near the process limit.
 */
export function classifyInstallFailure(
  observation: InstallObservation,
  limits: BuildLimits,
  argv: string[],
): string | undefined {
  if (observation.stoppedAtProcessLimit) {
    return `build reached its process limit (${limits.pidsLimit}) and was stopped`;
  }
  // A fork bomb backgrounds itself (`f() { f | f & }; f`) and npm exits 0 beside it; forks failed at the
  // limit, so the install cannot be trusted. Also a fact a tenant can act on: fewer processes.
  if (observation.pidsPeak >= limits.pidsLimit || observation.forkRefusals > 0) {
    const refused = observation.forkRefusals > 0 ? `; ${observation.forkRefusals} forks refused` : '';
    return `build reached its process limit (${limits.pidsLimit}${refused})`;
  }
  if (observation.exitCode === 0) return undefined;
  if (observation.oomKilled) {
    return `build ran out of memory (${limits.containerMemoryMb} MB: ${limits.memoryMb} MB for processes, ${limits.diskMb} MB for files)`;
  }
  if (observation.sawNoSpace) {
    return `build wrote more than ${limits.diskMb} MB (the plan's build disk bound; /tmp holds ${TMPFS_MB.build} MB)`;
  }
  if (observation.sawForkFailure && observation.pidsPeak >= limits.pidsLimit - 8) {
    return `build reached its process limit (${limits.pidsLimit})`;
  }
  return `${argv.slice(0, 2).join(' ')} exited with code ${observation.exitCode}`;
}

/**
 * Reads the container's pids counters from its own cgroup (v1 path, then v2): constant argv, run after
 * npm ended. On a saturated cgroup this exec itself cannot fork, which says the same thing.
 */
export const PIDS_COUNTERS_ARGV = [
  '/bin/sh',
  '-c',
  'cat /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids/pids.peak 2>/dev/null || cat /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids.peak',
];

/** `max N` (refused forks) and the lone number of pids.peak from PIDS_COUNTERS_ARGV's output. */
export function parsePidsCounters(text: string): { forkRefusals?: number; peak?: number } {
  const counters: { forkRefusals?: number; peak?: number } = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    const max = /^max (\d+)$/.exec(line);
    if (max) counters.forkRefusals = Number(max[1]);
    else if (/^\d+$/.test(line)) counters.peak = Number(line);
  }
  return counters;
}

export interface DependencyManifest {
  name: string;
  body: Buffer;
}

/**
 * The key of an install's result: the manifests npm reads (names and bytes), the install command and the
 * runtime image id. Unchanged key on a host that has the dependency image → the install is skipped.
 */
export function dependencyKey(options: {
  manifests: DependencyManifest[];
  argv: string[];
  runtimeImageId: string;
}): string {
  const hash = crypto.createHash('sha256');
  hash.update(`berth-dependencies-v1\n${options.runtimeImageId}\n${JSON.stringify(options.argv)}\n`);
  for (const manifest of [...options.manifests].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`${manifest.name}\n${crypto.createHash('sha256').update(manifest.body).digest('hex')}\n`);
  }
  return hash.digest('hex');
}

/** The host-local image holding an app's dependencies for one key. */
/** Every dependency image's name starts so (pruneDependencyImages removes no other tag). */
export const DEPENDENCY_IMAGE_PREFIX = 'berth-deps-';

export function dependencyImageTag(appId: string, key: string): string {
  return `${DEPENDENCY_IMAGE_PREFIX}${appId}:${key.slice(0, 32)}`;
}

export { TENANT_UID as BUILD_UID };
