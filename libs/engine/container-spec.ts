import net from 'node:net';

/**
 * What a container is, engine-neutral. Tenant containers are never written by hand: they come out of
 * hardenedContainerSpec, which is the one place the isolation rules of docs/architecture.md live.
 */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Overrides the image's CMD. */
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  /** "uid:gid", never root for tenant containers. */
  user: string;
  workingDir?: string;
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
  nofileLimit: number;
  /** Size of the tmpfs mounted on /tmp. */
  tmpfsMb: number;
  /** Whether programs may be executed from /tmp. */
  tmpfsExec: boolean;
  readOnlyRootfs: boolean;
  networkName: string;
  networkAliases?: string[];
  /** The TCP port the process listens on (exposed; published when `publish` is set). */
  containerPort?: number;
  /** Publish containerPort on the host at hostIp only; hostPort 0/undefined picks a free port. */
  publish?: { hostIp: string; hostPort?: number };
  logMaxSizeMb: number;
  logMaxFiles: number;
  /** Time between SIGTERM and SIGKILL on stop. */
  stopGraceSeconds?: number;
  /** Named volumes the engine made (never host paths), mounted read-write. Build containers only. */
  volumes?: VolumeMount[];
}

export interface VolumeMount {
  /** A volume created through the engine (ContainerFilesCapability.createVolume). */
  name: string;
  /** Absolute path in the container. */
  target: string;
}

/** `run`: a one-off command or release command of a release (libs/runs), same containment as `web`. */
export type ContainerRole = 'web' | 'lb' | 'build' | 'run';

export interface HardenedContainerInput {
  tenantId: string;
  appId: string;
  appName: string;
  releaseVersion?: number;
  role: ContainerRole;
  /** Distinguishes containers of one app, role and release on a host (replica index, short random id). */
  instance: string;
  image: string;
  cmd?: string[];
  env: Record<string, string>;
  plan: { memoryMb: number; cpuMillis: number };
  containerPort?: number;
  /** Host address published ports bind to (e.g. 127.0.0.1); without it nothing is published. */
  publishAddress?: string;
  /** Non-root uid of the load balancer's image (role 'lb' only); web and build run as 10001. */
  lbUid?: number;
  networkAliases?: string[];
  extraLabels?: Record<string, string>;
  stopGraceSeconds?: number;
  /** Role 'build' only: the per-build volume its install writes to (see libs/builds). */
  volumes?: VolumeMount[];
}

/** The uid (and gid) tenant code runs as; the runtime image creates this user. */
export const TENANT_UID = 10001;
export const DEFAULT_PIDS_LIMIT = 256;
export const DEFAULT_NOFILE_LIMIT = 4096;
export const DEFAULT_LOG_MAX_SIZE_MB = 10;
export const DEFAULT_LOG_MAX_FILES = 3;
/** /tmp sizes. tmpfs pages count toward the container's memory limit. */
export const TMPFS_MB: Record<ContainerRole, number> = { web: 64, lb: 16, build: 256, run: 64 };

export const LABELS = {
  managedBy: 'berth.managed-by',
  tenant: 'berth.tenant',
  app: 'berth.app',
  appName: 'berth.app-name',
  release: 'berth.release',
  role: 'berth.role',
} as const;
const RESERVED_LABELS = new Set<string>(Object.values(LABELS));

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The user-defined network every container of one tenant joins, and no other tenant's container. */
export function tenantNetworkName(tenantId: string): string {
  assertId('tenantId', tenantId);
  return `berth-tenant-${tenantId}`;
}

/**
 * The only way a tenant's container spec is made: non-root, read-only rootfs with a small /tmp tmpfs,
 * memory (no swap) and CPU from the plan, pids and nofile limits, bounded json-file logs, the tenant's
 * own network, labels naming tenant/app/release/role. Pure; throws RangeError on input that would
 * weaken any of that (a zero limit means "unlimited" to Docker, a '=' in an env name smuggles a variable).
 *
 * /tmp is noexec for web and lb (a dropped binary cannot be executed; node scripts still run via node).
 * Build containers keep exec on /tmp: npm lifecycle scripts and node-gyp execute what they unpack there.
 */
export function hardenedContainerSpec(input: HardenedContainerInput): ContainerSpec {
  assertId('tenantId', input.tenantId);
  assertId('appId', input.appId);
  assertId('instance', input.instance);
  assertPositiveInteger('plan.memoryMb', input.plan.memoryMb, 16);
  assertPositiveInteger('plan.cpuMillis', input.plan.cpuMillis, 10);
  if (input.image.trim() === '') throw new RangeError('image is empty');

  const env: Record<string, string> = { HOME: '/tmp' };
  for (const [key, value] of Object.entries(input.env)) {
    if (!ENV_NAME_PATTERN.test(key)) throw new RangeError(`env name ${JSON.stringify(key)} is not allowed`);
    if (value.includes('\0')) throw new RangeError(`env ${key} holds a NUL byte`);
    env[key] = value;
  }
  if (input.containerPort !== undefined) {
    assertPort('containerPort', input.containerPort);
    env.PORT = String(input.containerPort);
  }

  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.extraLabels ?? {})) {
    if (RESERVED_LABELS.has(key)) throw new RangeError(`label ${key} is set by the platform`);
    labels[key] = value;
  }
  labels[LABELS.managedBy] = 'berth';
  labels[LABELS.tenant] = input.tenantId;
  labels[LABELS.app] = input.appId;
  labels[LABELS.appName] = input.appName;
  labels[LABELS.role] = input.role;
  if (input.releaseVersion !== undefined) {
    assertPositiveInteger('releaseVersion', input.releaseVersion, 1);
    labels[LABELS.release] = String(input.releaseVersion);
  }

  let publish: ContainerSpec['publish'];
  if (input.publishAddress !== undefined && input.containerPort !== undefined) {
    if (net.isIP(input.publishAddress) === 0) {
      throw new RangeError(`publishAddress ${JSON.stringify(input.publishAddress)} is not an IP address`);
    }
    publish = { hostIp: input.publishAddress };
  }

  if (input.volumes !== undefined && input.volumes.length > 0 && input.role !== 'build') {
    throw new RangeError(`volumes are for build containers only, not role ${input.role}`);
  }
  for (const volume of input.volumes ?? []) assertVolumeMount(volume);

  const release = input.releaseVersion === undefined ? '' : `-v${input.releaseVersion}`;
  return {
    name: `berth-${input.appId}-${input.role}${release}-${input.instance}`,
    image: input.image,
    cmd: input.cmd,
    env,
    labels,
    user: userFor(input),
    memoryMb: input.plan.memoryMb,
    cpuMillis: input.plan.cpuMillis,
    pidsLimit: DEFAULT_PIDS_LIMIT,
    nofileLimit: DEFAULT_NOFILE_LIMIT,
    tmpfsMb: TMPFS_MB[input.role],
    tmpfsExec: input.role === 'build',
    readOnlyRootfs: true,
    networkName: tenantNetworkName(input.tenantId),
    networkAliases: input.networkAliases,
    containerPort: input.containerPort,
    publish,
    logMaxSizeMb: DEFAULT_LOG_MAX_SIZE_MB,
    logMaxFiles: DEFAULT_LOG_MAX_FILES,
    stopGraceSeconds: input.stopGraceSeconds,
    ...(input.volumes === undefined ? {} : { volumes: input.volumes.map((volume) => ({ ...volume })) }),
  };
}

const VOLUME_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Paths a volume may not cover: the root, system folders, /tmp (the tmpfs). */
const FORBIDDEN_VOLUME_TARGETS = /^\/(?:|bin|dev|etc|lib|lib64|proc|sbin|sys|tmp|usr)(?:\/|$)/;

/** A named volume on an absolute, normalized path outside the system folders. Throws RangeError. */
export function assertVolumeMount(volume: VolumeMount): void {
  if (!VOLUME_NAME_PATTERN.test(volume.name)) {
    throw new RangeError(`volume name ${JSON.stringify(volume.name)} is not allowed`);
  }
  const { target } = volume;
  const normalized =
    target.startsWith('/') && !target.split('/').some((part) => part === '.' || part === '..');
  if (!normalized || target.endsWith('/') || target.includes('//') || FORBIDDEN_VOLUME_TARGETS.test(target)) {
    throw new RangeError(`volume target ${JSON.stringify(target)} is not allowed`);
  }
}

function userFor(input: HardenedContainerInput): string {
  if (input.role !== 'lb' || input.lbUid === undefined) return `${TENANT_UID}:${TENANT_UID}`;
  assertPositiveInteger('lbUid', input.lbUid, 1);
  return `${input.lbUid}:${input.lbUid}`;
}

function assertId(name: string, value: string): void {
  if (!ID_PATTERN.test(value)) throw new RangeError(`${name} ${JSON.stringify(value)} is not a valid id`);
}

export function assertPositiveInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
}

export function assertPort(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new RangeError(`${name} is not a port`);
}
