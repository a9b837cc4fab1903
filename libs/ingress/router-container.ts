import {
  DEFAULT_LOG_MAX_FILES,
  DEFAULT_LOG_MAX_SIZE_MB,
  LABELS,
  type ContainerSpec,
} from '../engine/index.js';
import { HAPROXY_UID, LB_CONFIG_ENV, LB_IMAGE, LB_START_COMMAND } from '../runtime/index.js';

/** Marks the edge router's container (it belongs to no tenant and no app). */
export const ROUTER_ROLE = 'router';
export const ROUTER_PORT_LABEL = 'berth.router-port';

/** One router per host and HTTP port (several test runs on one Docker host each use their own port). */
export function routerContainerName(httpPort: number): string {
  return `berth-router-${httpPort}`;
}

/**
 * The edge router's container on a pool host: the balancer's HAProxy image and start command (the
 * configuration comes in through the env, lives in the /tmp tmpfs, reloads replace it), in the host's
 * network namespace. That is the one thing it gets that no tenant container does: it must listen on the
 * host's ingress address and reach replicas and balancers where they publish, at the host's public
 * address, which may be loopback. Everything else is locked down as for tenant containers
 * (toDockerCreateOptions: all capabilities dropped, so no port below 1024 unless the host lowers
 * net.ipv4.ip_unprivileged_port_start; no-new-privileges; read-only root; non-root uid of the image's
 * haproxy user; memory, CPU, pids and nofile limits; bounded logs). Pure.
 */
export function routerContainerSpec(input: {
  httpPort: number;
  configFile: string;
  image?: string;
}): ContainerSpec {
  return {
    name: routerContainerName(input.httpPort),
    image: input.image ?? LB_IMAGE,
    cmd: LB_START_COMMAND,
    env: { [LB_CONFIG_ENV]: input.configFile, HOME: '/tmp' },
    labels: {
      [LABELS.managedBy]: 'berth',
      [LABELS.role]: ROUTER_ROLE,
      [ROUTER_PORT_LABEL]: String(input.httpPort),
    },
    user: `${HAPROXY_UID}:${HAPROXY_UID}`,
    memoryMb: 256,
    cpuMillis: 1000,
    pidsLimit: 64,
    nofileLimit: 16_384,
    tmpfsMb: 16,
    tmpfsExec: false,
    readOnlyRootfs: true,
    networkName: 'host',
    logMaxSizeMb: DEFAULT_LOG_MAX_SIZE_MB,
    logMaxFiles: DEFAULT_LOG_MAX_FILES,
    stopGraceSeconds: 5,
  };
}
