import Docker from 'dockerode';
import type {
  BuildImageOptions,
  ContainerDetails,
  ContainerEngine,
  ContainerLogsOptions,
  ContainerStats,
  ContainerSummary,
  EngineEvent,
  EngineInfo,
  EnsureNetworkOptions,
  ImageInfo,
  ImageSummary,
  LogLine,
  NetworkSummary,
} from './container-engine.js';
import type { ContainerExecCapability, ExecOptions, ExecResult } from './container-exec.js';
import type {
  CommitLayersOptions,
  ContainerFilesCapability,
  CreateVolumeOptions,
} from './container-files.js';
import type { ContainerCounters, ContainerStatsCapability } from './container-stats.js';
import { LABELS, type ContainerSpec } from './container-spec.js';
import type { HostGuardCapability, HostGuardContainerSpec } from './host-guard-container.js';
import { toContainerDetails, toContainerStats, toContainerSummary } from './docker-containers.js';
import { toDockerCreateOptions } from './docker-create-options.js';
import { toHostGuardCreateOptions } from './docker-host-guard.js';
import { dockerCall, dockerCallAbsentOn404, statusOf, toEngineError } from './docker-errors.js';
import { EngineError } from './engine-errors.js';
import { dockerEvents } from './docker-events.js';
import { dockerExec } from './docker-exec.js';
import { dockerContainerCounters } from './docker-stats.js';
import {
  dockerCreateVolume,
  dockerGetArchive,
  dockerPutArchive,
  dockerRemoveLabelledVolumes,
  dockerRemoveVolume,
} from './docker-files.js';
import { dockerCommitLayers } from './docker-layers.js';
import {
  dockerBuildImage,
  dockerInspectImage,
  dockerListImages,
  dockerLoadImage,
  dockerPullImage,
  dockerPushImage,
  dockerRemoveImage,
  dockerSaveImage,
  dockerTagImage,
  labelFilter,
} from './docker-images.js';
import type { ContainerLogBatchesCapability } from './container-log-batches.js';
import { dockerContainerLogBatches, dockerContainerLogs } from './docker-logs.js';
import { DockerNetworks } from './docker-networks.js';
import type { RegistryAuth } from './registry-auth.js';

export interface DockerEngineOptions {
  /** unix:///var/run/docker.sock, or tcp://host:port (https when `tls` is given). */
  endpoint: string;
  /** PEM material for a tcp endpoint protected by TLS client certificates. */
  tls?: { ca: string; cert: string; key: string };
  /** Added to every container, network and image this engine creates (e.g. the host, the test run). */
  extraLabels?: Record<string, string>;
  /** Bound for ping() when the caller gives no signal. */
  pingTimeoutMs?: number;
}

/** The ContainerEngine of one Docker Engine host, through dockerode. The only class that holds a Docker client. */
export class DockerEngine
  implements
    ContainerEngine,
    ContainerExecCapability,
    ContainerFilesCapability,
    ContainerLogBatchesCapability,
    ContainerStatsCapability,
    HostGuardCapability
{
  private readonly docker: Docker;
  private readonly extraLabels: Record<string, string>;
  private readonly pingTimeoutMs: number;
  /** In-flight ensureNetwork calls by name, so concurrent callers share one creation. */
  private readonly networks: DockerNetworks;

  constructor(options: DockerEngineOptions) {
    this.docker = new Docker(dockerClientOptions(options));
    this.extraLabels = { ...options.extraLabels };
    this.networks = new DockerNetworks(this.docker, this.extraLabels);
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  }

  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = options.signal ?? AbortSignal.timeout(this.pingTimeoutMs);
    // dockerode 5 takes { abortSignal } here; @types/dockerode does not declare it.
    const ping = this.docker.ping.bind(this.docker) as unknown as (options: {
      abortSignal: AbortSignal;
    }) => Promise<unknown>;
    await dockerCall('ping', () => ping({ abortSignal: signal }));
  }

  async info(): Promise<EngineInfo> {
    const [info, version] = await dockerCall('info', () =>
      Promise.all([this.docker.info(), this.docker.version()]),
    );
    return {
      engineVersion: String(info.ServerVersion),
      apiVersion: String(version.ApiVersion),
      cpus: Number(info.NCPU),
      memoryMb: Math.floor(Number(info.MemTotal) / (1024 * 1024)),
      os: String(info.OSType),
      architecture: String(info.Architecture),
    };
  }

  // Images

  buildImage(options: BuildImageOptions): Promise<{ imageId: string }> {
    return dockerBuildImage(this.docker, this.extraLabels, options);
  }

  inspectImage(options: { ref: string }): Promise<ImageInfo | undefined> {
    return dockerInspectImage(this.docker, options.ref);
  }

  removeImage(options: { ref: string; force?: boolean }): Promise<void> {
    return dockerRemoveImage(this.docker, options.ref, options.force ?? false);
  }

  saveImage(options: { ref: string }): Promise<NodeJS.ReadableStream> {
    return dockerSaveImage(this.docker, options.ref);
  }

  loadImage(options: { tar: NodeJS.ReadableStream }): Promise<void> {
    return dockerLoadImage(this.docker, options.tar);
  }

  tagImage(options: { ref: string; target: string }): Promise<void> {
    return dockerTagImage(this.docker, options.ref, options.target);
  }

  pushImage(options: {
    ref: string;
    auth?: RegistryAuth;
    signal?: AbortSignal;
  }): Promise<{ digest: string }> {
    return dockerPushImage(this.docker, options);
  }

  pullImage(options: { ref: string; auth?: RegistryAuth; signal?: AbortSignal }): Promise<void> {
    return dockerPullImage(this.docker, options);
  }

  listImages(options: { labels: Record<string, string> }): Promise<ImageSummary[]> {
    return dockerListImages(this.docker, options.labels);
  }

  // Networks (docker-networks.ts)

  ensureNetwork(options: EnsureNetworkOptions): Promise<{ id: string }> {
    return this.networks.ensure(options);
  }

  removeNetwork(options: { name: string }): Promise<void> {
    return this.networks.remove(options.name);
  }

  listNetworks(options: { labels: Record<string, string> }): Promise<NetworkSummary[]> {
    return this.networks.list(options.labels);
  }

  inspectNetwork(options: { name: string }): Promise<NetworkSummary | undefined> {
    return this.networks.inspect(options.name);
  }

  // Containers

  async createContainer(spec: ContainerSpec): Promise<{ id: string }> {
    const options = toDockerCreateOptions(spec);
    options.Labels = { ...this.extraLabels, ...options.Labels };
    const container = await dockerCall('createContainer', () => this.docker.createContainer(options));
    return { id: container.id };
  }

  async createHostGuardContainer(spec: HostGuardContainerSpec): Promise<{ id: string }> {
    const options = toHostGuardCreateOptions(spec);
    options.Labels = { ...this.extraLabels, ...options.Labels };
    const container = await dockerCall('createHostGuardContainer', () =>
      this.docker.createContainer(options),
    );
    return { id: container.id };
  }

  async startContainer(options: { id: string }): Promise<void> {
    await this.ignoring304('startContainer', () => this.docker.getContainer(options.id).start());
  }

  async stopContainer(options: { id: string; graceSeconds: number }): Promise<void> {
    await this.ignoring304('stopContainer', () =>
      this.docker.getContainer(options.id).stop({ t: options.graceSeconds }),
    );
  }

  async killContainer(options: { id: string; signal?: string }): Promise<void> {
    await dockerCall('killContainer', () =>
      this.docker.getContainer(options.id).kill({ signal: options.signal ?? 'SIGKILL' }),
    );
  }

  async removeContainer(options: { id: string; force?: boolean }): Promise<void> {
    await dockerCallAbsentOn404('removeContainer', () =>
      this.docker.getContainer(options.id).remove({ force: options.force ?? false, v: true }),
    );
  }

  async inspectContainer(options: { id: string }): Promise<ContainerDetails | undefined> {
    const raw = await dockerCallAbsentOn404('inspectContainer', () =>
      this.docker.getContainer(options.id).inspect(),
    );
    return raw && toContainerDetails(raw);
  }

  async listContainers(options: {
    labels: Record<string, string>;
    all?: boolean;
  }): Promise<ContainerSummary[]> {
    const containers = await dockerCall('listContainers', () =>
      this.docker.listContainers({
        all: options.all ?? false,
        filters: { label: labelFilter(options.labels) },
      }),
    );
    return containers.map(toContainerSummary);
  }

  async waitContainer(options: { id: string; signal?: AbortSignal }): Promise<{ exitCode: number }> {
    const result = (await dockerCall('waitContainer', () =>
      this.docker.getContainer(options.id).wait({ condition: 'not-running', abortSignal: options.signal }),
    )) as { StatusCode: number };
    return { exitCode: result.StatusCode };
  }

  // Optional capabilities

  execInContainer(options: ExecOptions): Promise<ExecResult> {
    return dockerExec(this.docker, options);
  }

  createVolume(options: CreateVolumeOptions): Promise<void> {
    return dockerCreateVolume(this.docker, this.extraLabels, options);
  }

  removeVolume(options: { name: string }): Promise<void> {
    return dockerRemoveVolume(this.docker, options.name);
  }

  putArchive(options: {
    id: string;
    path: string;
    tar: NodeJS.ReadableStream;
    signal?: AbortSignal;
  }): Promise<void> {
    return dockerPutArchive(this.docker, options);
  }

  getArchive(options: {
    id: string;
    path: string;
    signal?: AbortSignal;
  }): Promise<NodeJS.ReadableStream | undefined> {
    return dockerGetArchive(this.docker, options);
  }

  commitLayers(options: CommitLayersOptions): Promise<void> {
    return dockerCommitLayers(this.docker, this.extraLabels, options);
  }

  // Logs, events, stats

  containerLogs(options: ContainerLogsOptions): AsyncIterable<LogLine> {
    return dockerContainerLogs(this.docker, options);
  }

  // ContainerLogBatchesCapability

  containerLogBatches(options: ContainerLogsOptions): AsyncIterable<LogLine[]> {
    return dockerContainerLogBatches(this.docker, options);
  }

  events(options: { labels: Record<string, string>; signal?: AbortSignal }): AsyncIterable<EngineEvent> {
    return dockerEvents(this.docker, options);
  }

  async stats(options: { id: string }): Promise<ContainerStats> {
    const raw = await dockerCall('stats', () =>
      this.docker.getContainer(options.id).stats({ stream: false }),
    );
    return toContainerStats(raw);
  }

  // ContainerStatsCapability

  readContainerCounters(options: {
    id: string;
    signal?: AbortSignal;
  }): Promise<ContainerCounters | undefined> {
    return dockerContainerCounters(this.docker, options);
  }

  async removeLabelled(options: {
    label: string;
  }): Promise<{ containers: number; networks: number; images: number }> {
    const filters = { label: [options.label] };
    const containers = await dockerCall('removeLabelled', () =>
      this.docker.listContainers({ all: true, filters }),
    );
    for (const container of containers) {
      // A host guard removes its iptables rules on SIGTERM; a forced removal alone would SIGKILL it.
      if (container.Labels[LABELS.role] === 'host-guard' && container.State === 'running') {
        await this.stopContainer({ id: container.Id, graceSeconds: 10 });
      }
      await this.removeContainer({ id: container.Id, force: true });
    }
    // Build volumes (ContainerFilesCapability); not counted, the core interface knows no volumes.
    await dockerRemoveLabelledVolumes(this.docker, options.label);

    const networks = await dockerCall('removeLabelled', () => this.docker.listNetworks({ filters }));
    for (const network of networks) {
      await dockerCallAbsentOn404('removeLabelled', () => this.docker.getNetwork(network.Id).remove());
    }

    const images = await dockerCall('removeLabelled', () => this.docker.listImages({ filters }));
    return {
      containers: containers.length,
      networks: networks.length,
      images: await this.removeImagesChildrenFirst(images),
    };
  }

  /**
   * Newest first, so an image built FROM another labelled image goes before its parent. Docker refuses
   * (409) an image that is still the parent of another one (an app image FROM a dependency image, with
   * its intermediate layers): passes repeat while they remove something, so children go first whatever
   * their timestamps; an image still refused after that is the parent of one outside this label and goes
   * with it. One such image must not stop the cleanup of everything else.
   */
  private async removeImagesChildrenFirst(images: Docker.ImageInfo[]): Promise<number> {
    let remaining = [...images].sort((a, b) => b.Created - a.Created);
    let removed = 0;
    while (remaining.length > 0) {
      const refused: Docker.ImageInfo[] = [];
      for (const image of remaining) {
        try {
          await this.removeImage({ ref: image.Id, force: true });
          removed += 1;
        } catch (error) {
          if (!(error instanceof EngineError && error.conflict)) throw error;
          refused.push(image);
        }
      }
      if (refused.length === remaining.length) break;
      remaining = refused;
    }
    return removed;
  }

  /** Start/stop answer 304 when the container is already in the wanted state: that is success. */
  private async ignoring304(operation: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (statusOf(error) !== 304) throw toEngineError(operation, error);
    }
  }
}

/** dockerode options from an endpoint URL. Every field is set, so DOCKER_HOST & co. never leak in. */
export function dockerClientOptions(options: DockerEngineOptions): Docker.DockerOptions {
  const url = new URL(options.endpoint);
  const base = { timeout: undefined, version: undefined, ca: undefined, cert: undefined, key: undefined };
  if (url.protocol === 'unix:') {
    if (options.tls) throw new RangeError('tls applies to tcp endpoints only');
    return { ...base, socketPath: url.pathname, host: undefined, port: undefined, protocol: 'http' };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(`unsupported Docker endpoint ${options.endpoint}`);
  }
  const secure = options.tls !== undefined || url.protocol === 'https:';
  return {
    ...base,
    socketPath: undefined,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || (secure ? 2376 : 2375)),
    protocol: secure ? 'https' : 'http',
    ...(options.tls ?? {}),
  };
}
