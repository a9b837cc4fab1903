import type Docker from 'dockerode';
import type { HostGuardContainerSpec } from './host-guard-container.js';

const MB = 1024 * 1024;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The capabilities iptables needs, and nothing more. */
export const HOST_GUARD_CAPABILITIES = ['NET_ADMIN', 'NET_RAW'] as const;

/**
 * The Engine API create body of the host guard. Pure. Everything but name, image, env and labels is fixed
 * here (see HostGuardCapability): the guard's privileges do not depend on anything a caller passes.
 */
export function toHostGuardCreateOptions(spec: HostGuardContainerSpec): Docker.ContainerCreateOptions {
  if (!NAME_PATTERN.test(spec.name)) throw new RangeError(`name ${JSON.stringify(spec.name)} is not allowed`);
  if (spec.image.trim() === '') throw new RangeError('image is empty');
  const env = Object.entries(spec.env).map(([key, value]) => {
    if (!ENV_NAME_PATTERN.test(key)) throw new RangeError(`env name ${JSON.stringify(key)} is not allowed`);
    if (value.includes('\0')) throw new RangeError(`env ${key} holds a NUL byte`);
    return `${key}=${value}`;
  });
  const hostConfig: Docker.HostConfig = {
    NetworkMode: 'host',
    Privileged: false,
    Init: true,
    CapDrop: ['ALL'],
    CapAdd: [...HOST_GUARD_CAPABILITIES],
    SecurityOpt: ['no-new-privileges:true'],
    ReadonlyRootfs: true,
    Binds: [],
    Mounts: [],
    Devices: [],
    Memory: 32 * MB,
    MemorySwap: 32 * MB,
    NanoCpus: 100_000_000,
    PidsLimit: 32,
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
    RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    PublishAllPorts: false,
    PortBindings: {},
  };
  return {
    name: spec.name,
    Image: spec.image,
    Env: env,
    Labels: { ...spec.labels },
    User: '0:0',
    // SIGTERM makes the guard remove its rules; 10 s is far more than it needs.
    StopTimeout: 10,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
  };
}
