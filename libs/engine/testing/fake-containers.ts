import type { EventEmitter } from 'node:events';
import type {
  ContainerDetails,
  ContainerLogsOptions,
  ContainerStats,
  ContainerSummary,
  EngineEvent,
  EngineEventType,
  LogLine,
} from '../container-engine.js';
import type { ContainerSpec } from '../container-spec.js';
import type { ContainerCounters } from '../container-stats.js';
import { toDockerCreateOptions } from '../docker-create-options.js';

/** A container of a fake engine: what inspect shows, the spec it was made from, its log and stats. */
export interface FakeContainer {
  details: ContainerDetails;
  spec: ContainerSpec;
  createdAt: Date;
  logs: LogLine[];
  stats: ContainerStats;
  /** Cumulative counters of its current run, as tests set them (setCounters); reset on every start. */
  counters: Omit<ContainerCounters, 'readAt' | 'memoryLimitBytes'>;
}

const ZERO_COUNTERS = {
  cpuNanos: 0,
  memoryBytes: 0,
  networkRxBytes: 0,
  networkTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  pids: 0,
};

/** Exit code 128 + N of a container killed by signal N. */
export const SIGNAL_NUMBERS: Record<string, number> = {
  SIGKILL: 9,
  SIGTERM: 15,
  SIGINT: 2,
  SIGHUP: 1,
  SIGUSR1: 10,
  SIGUSR2: 12,
};

/** A created (not started) container, validated and sized exactly as the real engine's create would be. */
export function newFakeContainer(options: {
  id: string;
  spec: ContainerSpec;
  imageId: string;
  extraLabels: Record<string, string> | undefined;
}): FakeContainer {
  const { id, spec } = options;
  const create = toDockerCreateOptions(spec); // the same validation the real engine applies
  const details: ContainerDetails = {
    id,
    name: spec.name,
    image: spec.image,
    imageId: options.imageId,
    state: 'created',
    running: false,
    exitCode: 0,
    oomKilled: false,
    error: '',
    startedAt: undefined,
    finishedAt: undefined,
    restartCount: 0,
    labels: { ...options.extraLabels, ...spec.labels },
    ports: [],
    networks: { [spec.networkName]: { ipAddress: '', aliases: spec.networkAliases ?? [] } },
    resources: {
      memoryBytes: create.HostConfig?.Memory ?? 0,
      memorySwapBytes: create.HostConfig?.MemorySwap ?? 0,
      nanoCpus: create.HostConfig?.NanoCpus ?? 0,
      pidsLimit: create.HostConfig?.PidsLimit ?? 0,
      readOnlyRootfs: spec.readOnlyRootfs,
      user: spec.user,
    },
  };
  const stats = { memoryBytes: 0, memoryLimitBytes: details.resources.memoryBytes, cpuPercent: 0, pids: 0 };
  return { details, spec, createdAt: new Date(), logs: [], stats, counters: { ...ZERO_COUNTERS } };
}

/** Running, with a tenant-network address and its published port; `sequence` varies both. */
export function markStarted(container: FakeContainer, sequence: number): void {
  const { details, spec } = container;
  Object.assign(details, { state: 'running', running: true, startedAt: new Date(), exitCode: 0 });
  Object.assign(details, { oomKilled: false, finishedAt: undefined });
  details.networks[spec.networkName]!.ipAddress = `172.30.0.${(sequence % 250) + 2}`;
  if (spec.publish && spec.containerPort !== undefined) {
    const { hostIp, hostPort } = spec.publish;
    const port = hostPort || 32768 + (sequence % 28000);
    details.ports = [{ containerPort: spec.containerPort, protocol: 'tcp', hostIp, hostPort: port }];
  }
  container.stats.pids = 1;
  container.counters = { ...ZERO_COUNTERS, pids: 1 };
}

export function markExited(container: FakeContainer, exitCode: number, oomKilled: boolean): void {
  Object.assign(container.details, {
    state: 'exited',
    running: false,
    exitCode,
    oomKilled,
    finishedAt: new Date(),
  });
  container.details.ports = [];
  container.stats.pids = 0;
}

export function containerSummary(container: FakeContainer): ContainerSummary {
  const { details } = container;
  return {
    id: details.id,
    name: details.name,
    image: details.image,
    state: details.state,
    status: details.running ? 'Up' : `Exited (${details.exitCode})`,
    labels: { ...details.labels },
    createdAt: container.createdAt,
  };
}

/** The event Docker reports for a container's lifecycle step (die carries the exit code). */
export function engineEvent(type: EngineEventType, container: FakeContainer, exitCode?: number): EngineEvent {
  return {
    type,
    containerId: container.details.id,
    labels: { ...container.details.labels },
    exitCode,
    time: new Date(),
  };
}

/** A deep copy: callers of inspect must not reach into the fake's state. */
export function cloneDetails(details: ContainerDetails): ContainerDetails {
  const networks: ContainerDetails['networks'] = {};
  for (const [name, network] of Object.entries(details.networks)) {
    networks[name] = { ...network, aliases: [...network.aliases] };
  }
  return {
    ...details,
    labels: { ...details.labels },
    ports: details.ports.map((port) => ({ ...port })),
    networks,
    resources: { ...details.resources },
  };
}

/** The lines a logs call returns at once: since/until window, then the tail. */
export function logsInWindow(lines: LogLine[], options: ContainerLogsOptions): LogLine[] {
  const inWindow = lines.filter(
    (line) =>
      (!options.since || line.timestamp >= rfc3339Nano(options.since)) &&
      (!options.until || line.timestamp <= rfc3339Nano(options.until)),
  );
  return options.tail === undefined ? inWindow : inWindow.slice(Math.max(0, inWindow.length - options.tail));
}

/** containerLogs of a fake container: the window at once, then (with follow) new lines until it exits. */
export async function* followLogs(
  container: FakeContainer,
  emitter: EventEmitter,
  options: ContainerLogsOptions,
): AsyncIterable<LogLine> {
  const id = container.details.id;
  yield* logsInWindow(container.logs, options);
  if (!options.follow) return;
  let seen = container.logs.length;
  while (container.details.running && !options.signal?.aborted) {
    await nextEvent(emitter, [`log:${id}`, `exit:${id}`], options.signal);
    if (options.signal?.aborted) return;
    yield* logsInWindow(container.logs.slice(seen), { ...options, tail: undefined });
    seen = container.logs.length;
  }
}

/** Resolves at the first of `events` on `emitter`, or when `signal` fires (never rejects). */
export function nextEvent(
  emitter: EventEmitter,
  events: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const wake = () => {
      for (const event of events) emitter.off(event, wake);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    for (const event of events) emitter.on(event, wake);
    signal?.addEventListener('abort', wake);
  });
}

export function hasLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** Docker's log timestamp form (nanoseconds). */
export function rfc3339Nano(date: Date): string {
  return date.toISOString().replace('Z', '000000Z');
}
