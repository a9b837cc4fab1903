import net from 'node:net';
import type Docker from 'dockerode';
import {
  assertPort,
  assertPositiveInteger,
  assertVolumeMount,
  type ContainerSpec,
} from './container-spec.js';

const MB = 1024 * 1024;

/**
 * The Engine API create body for a spec. Pure. Everything that is not in the spec is locked down here:
 * all capabilities dropped, no-new-privileges, never privileged, no host paths (no Binds, Volumes or
 * Devices, and Mounts only of named volumes from `spec.volumes`: the Docker socket cannot reach a
 * container through this function), no swap, no
 * Docker restart policy (the platform's reconciler restarts). Throws RangeError on a spec that would run
 * as root or without a limit (0 means "unlimited" to Docker).
 */
export function toDockerCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  assertNonRoot(spec.user);
  assertPositiveInteger('memoryMb', spec.memoryMb, 6);
  assertPositiveInteger('cpuMillis', spec.cpuMillis, 1);
  assertPositiveInteger('pidsLimit', spec.pidsLimit, 1);
  assertPositiveInteger('nofileLimit', spec.nofileLimit, 1);
  assertPositiveInteger('tmpfsMb', spec.tmpfsMb, 1);
  assertPositiveInteger('logMaxSizeMb', spec.logMaxSizeMb, 1);
  assertPositiveInteger('logMaxFiles', spec.logMaxFiles, 1);
  if (spec.networkName === '') throw new RangeError('networkName is empty');

  for (const volume of spec.volumes ?? []) assertVolumeMount(volume);

  const memory = spec.memoryMb * MB;
  const tmpfsOptions = ['rw', spec.tmpfsExec ? 'exec' : 'noexec', 'nosuid', 'nodev', `size=${spec.tmpfsMb}m`];
  const hostConfig: Docker.HostConfig = {
    Privileged: false,
    // Docker's tiny init as PID 1 forwards SIGTERM and reaps zombies: node as PID 1 ignores SIGTERM unless the
    // app handles it, so every stop would wait out the grace period and end in SIGKILL.
    Init: true,
    CapDrop: ['ALL'],
    CapAdd: [],
    SecurityOpt: ['no-new-privileges:true'],
    ReadonlyRootfs: spec.readOnlyRootfs,
    Tmpfs: { '/tmp': [...tmpfsOptions, 'mode=1777'].join(',') },
    Binds: [],
    Mounts: (spec.volumes ?? []).map((volume) => ({
      Type: 'volume' as const,
      Source: volume.name,
      Target: volume.target,
      ReadOnly: false,
    })),
    Devices: [],
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: spec.cpuMillis * 1_000_000,
    PidsLimit: spec.pidsLimit,
    Ulimits: [{ Name: 'nofile', Soft: spec.nofileLimit, Hard: spec.nofileLimit }],
    LogConfig: {
      Type: 'json-file',
      Config: { 'max-size': `${spec.logMaxSizeMb}m`, 'max-file': String(spec.logMaxFiles) },
    },
    NetworkMode: spec.networkName,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    PublishAllPorts: false,
    PortBindings: {},
  };

  let exposedPorts: Docker.ContainerCreateOptions['ExposedPorts'];
  if (spec.containerPort !== undefined) {
    assertPort('containerPort', spec.containerPort);
    const key = `${spec.containerPort}/tcp`;
    exposedPorts = { [key]: {} };
    if (spec.publish) {
      const { hostIp, hostPort = 0 } = spec.publish;
      // An empty HostIp would make Docker listen on every interface.
      if (net.isIP(hostIp) === 0)
        throw new RangeError(`publish.hostIp ${JSON.stringify(hostIp)} is not an IP`);
      if (hostPort !== 0) assertPort('publish.hostPort', hostPort);
      hostConfig.PortBindings = {
        [key]: [{ HostIp: hostIp, HostPort: hostPort === 0 ? '' : String(hostPort) }],
      };
    }
  } else if (spec.publish) {
    throw new RangeError('publish needs a containerPort');
  }

  return {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels },
    User: spec.user,
    WorkingDir: spec.workingDir,
    ExposedPorts: exposedPorts,
    StopTimeout: spec.stopGraceSeconds,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
    NetworkingConfig: {
      EndpointsConfig: { [spec.networkName]: { Aliases: spec.networkAliases ?? [] } },
    },
  };
}

function assertNonRoot(user: string): void {
  const [uid = '', gid] = user.split(':');
  const isRootName = (part: string) => part === '' || part === 'root' || /^0+$/.test(part);
  if (isRootName(uid) || (gid !== undefined && isRootName(gid))) {
    throw new RangeError(`user ${JSON.stringify(user)} is root or empty; containers run as a non-root user`);
  }
}
