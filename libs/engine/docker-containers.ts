import type Docker from 'dockerode';
import type {
  ContainerDetails,
  ContainerState,
  ContainerStats,
  ContainerSummary,
  PublishedPort,
} from './container-engine.js';

/** Engine API container JSON → engine-neutral shapes. Pure. */

const STATES: readonly ContainerState[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
];

export function toContainerState(status: string): ContainerState {
  return STATES.find((state) => state === status) ?? 'dead';
}

/** Docker writes 0001-01-01T00:00:00Z for "never". */
function optionalDate(value: string | undefined): Date | undefined {
  if (!value || value.startsWith('0001-')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function toContainerDetails(raw: Docker.ContainerInspectInfo): ContainerDetails {
  const ports: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(raw.NetworkSettings?.Ports ?? {})) {
    const [port = '0', protocol = 'tcp'] = key.split('/');
    for (const binding of bindings ?? []) {
      ports.push({
        containerPort: Number(port),
        protocol: protocol as PublishedPort['protocol'],
        hostIp: binding.HostIp,
        hostPort: Number(binding.HostPort),
      });
    }
  }
  const networks: ContainerDetails['networks'] = {};
  for (const [name, network] of Object.entries(raw.NetworkSettings?.Networks ?? {})) {
    networks[name] = {
      ipAddress: network.IPAddress,
      aliases: Array.isArray(network.Aliases) ? (network.Aliases as string[]) : [],
    };
  }
  const host = raw.HostConfig ?? {};
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? '',
    imageId: raw.Image,
    state: toContainerState(raw.State.Status),
    running: raw.State.Running,
    exitCode: raw.State.ExitCode,
    oomKilled: raw.State.OOMKilled,
    error: raw.State.Error ?? '',
    startedAt: optionalDate(raw.State.StartedAt),
    finishedAt: optionalDate(raw.State.FinishedAt),
    restartCount: raw.RestartCount,
    labels: raw.Config?.Labels ?? {},
    ports,
    networks,
    resources: {
      memoryBytes: host.Memory ?? 0,
      memorySwapBytes: host.MemorySwap ?? 0,
      nanoCpus: host.NanoCpus ?? 0,
      pidsLimit: host.PidsLimit ?? 0,
      readOnlyRootfs: host.ReadonlyRootfs ?? false,
      user: raw.Config?.User ?? '',
    },
  };
}

export function toContainerSummary(raw: Docker.ContainerInfo): ContainerSummary {
  return {
    id: raw.Id,
    name: (raw.Names[0] ?? '').replace(/^\//, ''),
    image: raw.Image,
    state: toContainerState(raw.State),
    status: raw.Status,
    labels: raw.Labels ?? {},
    createdAt: new Date(raw.Created * 1000),
  };
}

/** As `docker stats` computes them (cgroup v1 and v2). */
export function toContainerStats(raw: Docker.ContainerStats): ContainerStats {
  const memory = raw.memory_stats ?? {};
  const details = (memory.stats ?? {}) as Partial<Record<string, number>>;
  const inactiveFile = details.total_inactive_file ?? details.inactive_file ?? 0;
  const usage = memory.usage ?? 0;
  const cpuDelta =
    (raw.cpu_stats?.cpu_usage?.total_usage ?? 0) - (raw.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (raw.cpu_stats?.system_cpu_usage ?? 0) - (raw.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = raw.cpu_stats?.online_cpus || raw.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  return {
    memoryBytes: Math.max(0, usage - inactiveFile),
    memoryLimitBytes: memory.limit ?? 0,
    cpuPercent: cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
    pids: raw.pids_stats?.current ?? 0,
  };
}
