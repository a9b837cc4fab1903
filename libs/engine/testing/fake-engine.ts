import crypto from 'node:crypto';
import { EventEmitter, on, once } from 'node:events';
import { Readable } from 'node:stream';
import type {
  BuildImageOptions,
  ContainerDetails,
  ContainerEngine,
  ContainerLogsOptions,
  ContainerStats,
  ContainerSummary,
  EngineEvent,
  EngineEventType,
  EngineInfo,
  EnsureNetworkOptions,
  ImageInfo,
  ImageSummary,
  LogLine,
  NetworkSummary,
} from '../container-engine.js';
import type { ExecOptions, ExecResult } from '../container-exec.js';
import type { ContainerSpec } from '../container-spec.js';
import type { ContainerCounters, ContainerStatsCapability } from '../container-stats.js';
import type { RegistryAuth } from '../registry-auth.js';
import { EngineCapabilityNotSupportedError } from '../engine-errors.js';
import { FakeFaults, fakeEngineError } from './fake-faults.js';
import {
  FakeImageStore,
  type FakeRegistry,
  newFakeImage,
  parseSavedImage,
  pullFromRegistry,
  pushToRegistry,
  savedImageBytes,
} from './fake-images.js';
import {
  SIGNAL_NUMBERS,
  cloneDetails,
  containerSummary,
  engineEvent,
  followLogs,
  hasLabels,
  markExited,
  markStarted,
  newFakeContainer,
  rfc3339Nano,
  type FakeContainer,
} from './fake-containers.js';
import { FakeNetworkStore } from './fake-networks.js';

/**
 * In-memory ContainerEngine for unit tests of code above the engine (reconciler, scheduler, builds).
 * It keeps Docker's contract where callers depend on it (404 → undefined / no-op where the interface
 * says so, 409 on name clashes and on killing a stopped container, lifecycle events) and adds test
 * controls: failNext(method, error) and setReachable(false) (FakeFaults), simulateExit(...), appendLog(...),
 * addImage(...).
 * Containers do not run anything: they stay 'running' until stopped, killed or simulateExit'ed.
 */
export class FakeEngine extends FakeFaults implements ContainerEngine, ContainerStatsCapability {
  private readonly images = new FakeImageStore();
  private readonly networks = new FakeNetworkStore();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private sequence = 0;

  constructor(
    private readonly options: {
      extraLabels?: Record<string, string>;
      info?: Partial<EngineInfo>;
      /** The registry pushImage and pullImage reach (none: every push and pull fails to connect). */
      registry?: FakeRegistry;
    } = {},
  ) {
    super();
  }

  // Test controls

  addImage(options: { ref: string; labels?: Record<string, string>; tar?: Buffer }): string {
    const id = `sha256:${this.nextId()}`;
    this.images.add(newFakeImage(id, [options.ref], options.labels ?? {}, options.tar));
    return id;
  }

  /** The container's process ends on its own (crash, OOM kill, normal exit). */
  simulateExit(options: { id: string; exitCode: number; oomKilled?: boolean }): void {
    const container = this.mustFind(options.id, 'simulateExit');
    if (options.oomKilled) this.emitEvent('oom', container);
    this.exit(container, options.exitCode, options.oomKilled ?? false);
  }

  appendLog(options: { id: string; stream: LogLine['stream']; text: string }): void {
    const container = this.mustFind(options.id, 'appendLog');
    const line = { stream: options.stream, timestamp: rfc3339Nano(new Date()), text: options.text };
    container.logs.push(line);
    this.emitter.emit(`log:${container.details.id}`);
  }

  setStats(options: { id: string; stats: Partial<ContainerStats> }): void {
    const container = this.mustFind(options.id, 'setStats');
    container.stats = { ...container.stats, ...options.stats };
  }

  /** Sets counters of the container's current run (a start resets them to zero, as a new cgroup does). */
  setCounters(options: { id: string; counters: Partial<FakeContainer['counters']> }): void {
    const container = this.mustFind(options.id, 'setCounters');
    container.counters = { ...container.counters, ...options.counters };
  }

  // ContainerEngine

  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.enter('ping', options);
  }

  async info(): Promise<EngineInfo> {
    this.enter('info', {});
    return {
      engineVersion: 'fake',
      apiVersion: '1.41',
      cpus: 2,
      memoryMb: 4096,
      os: 'linux',
      architecture: 'x86_64',
      ...this.options.info,
    };
  }

  async buildImage(options: BuildImageOptions): Promise<{ imageId: string }> {
    this.enter('buildImage', options);
    for await (const _chunk of options.context); // read the whole context, as a host would
    options.signal?.throwIfAborted();
    options.onLog?.(`fake build of ${options.tag}`);
    const id = `sha256:${this.nextId()}`;
    this.images.add(newFakeImage(id, [options.tag], { ...this.options.extraLabels, ...options.labels }));
    return { imageId: id };
  }

  async inspectImage(options: { ref: string }): Promise<ImageInfo | undefined> {
    this.enter('inspectImage', options);
    return this.images.info(options.ref);
  }

  async removeImage(options: { ref: string; force?: boolean }): Promise<void> {
    this.enter('removeImage', options);
    const image = this.images.find(options.ref);
    if (!image) return;
    const inUse = [...this.containers.values()].some((c) => c.details.imageId === image.id);
    if (inUse && !options.force && image.tags.length <= 1)
      throw fakeEngineError('removeImage', 409, `image ${options.ref} is in use`);
    this.images.remove(options.ref, image);
  }

  async saveImage(options: { ref: string }): Promise<NodeJS.ReadableStream> {
    this.enter('saveImage', options);
    const image = this.images.find(options.ref);
    if (!image) throw fakeEngineError('saveImage', 404, `no such image: ${options.ref}`);
    return Readable.from([savedImageBytes(image)]);
  }

  async loadImage(options: { tar: NodeJS.ReadableStream }): Promise<void> {
    this.enter('loadImage', options);
    const chunks: Buffer[] = [];
    for await (const chunk of options.tar) chunks.push(Buffer.from(chunk as Buffer));
    const saved = parseSavedImage(Buffer.concat(chunks));
    if (!saved)
      throw fakeEngineError('loadImage', 500, 'the fake engine loads only what a fake engine saved');
    this.images.add(saved);
  }

  async tagImage(options: { ref: string; target: string }): Promise<void> {
    this.enter('tagImage', options);
    const image = this.images.find(options.ref);
    if (!image) throw fakeEngineError('tagImage', 404, `No such image: ${options.ref}`);
    this.images.tag(image, options.target);
  }

  async pushImage(options: {
    ref: string;
    auth?: RegistryAuth;
    signal?: AbortSignal;
  }): Promise<{ digest: string }> {
    this.enter('pushImage', options);
    options.signal?.throwIfAborted();
    return { digest: pushToRegistry(this.images, this.options.registry, options.ref) };
  }

  async pullImage(options: { ref: string; auth?: RegistryAuth; signal?: AbortSignal }): Promise<void> {
    this.enter('pullImage', options);
    options.signal?.throwIfAborted();
    pullFromRegistry(this.images, this.options.registry, options.ref);
  }

  async listImages(options: { labels: Record<string, string> }): Promise<ImageSummary[]> {
    this.enter('listImages', options);
    return this.images.summaries((labels) => hasLabels(labels, options.labels));
  }

  async ensureNetwork(options: EnsureNetworkOptions): Promise<{ id: string }> {
    this.enter('ensureNetwork', options);
    const existing = this.networks.get(options.name);
    if (existing) return { id: existing.id };
    return { id: this.networks.ensure(options, this.nextId(), this.options.extraLabels).id };
  }

  async inspectNetwork(options: { name: string }): Promise<NetworkSummary | undefined> {
    this.enter('inspectNetwork', options);
    const network = this.networks.get(options.name);
    return (
      network && { ...network, labels: { ...network.labels }, ipam: network.ipam.map((c) => ({ ...c })) }
    );
  }

  async removeNetwork(options: { name: string }): Promise<void> {
    this.enter('removeNetwork', options);
    const attached = [...this.containers.values()].some((c) => c.spec.networkName === options.name);
    if (attached && this.networks.get(options.name)) {
      throw fakeEngineError('removeNetwork', 409, `network ${options.name} has active endpoints`);
    }
    this.networks.delete(options.name);
  }

  async listNetworks(options: { labels: Record<string, string> }): Promise<NetworkSummary[]> {
    this.enter('listNetworks', options);
    return this.networks.list((network) => hasLabels(network.labels, options.labels));
  }

  async createContainer(spec: ContainerSpec): Promise<{ id: string }> {
    this.enter('createContainer', spec);
    const image = this.images.find(spec.image);
    if (!image) throw fakeEngineError('createContainer', 404, `No such image: ${spec.image}`);
    const network = this.networks.get(spec.networkName);
    if (!network) throw fakeEngineError('createContainer', 404, `network ${spec.networkName} not found`);
    if (this.findContainer(spec.name))
      throw fakeEngineError('createContainer', 409, `name ${spec.name} is in use`);
    // Unique across engines, as Docker's are: callers key containers of every host by id.
    const id = `${this.nextId()}${crypto.randomBytes(26).toString('hex')}`;
    const extraLabels = this.options.extraLabels;
    this.containers.set(id, newFakeContainer({ id, spec, imageId: image.id, extraLabels }));
    return { id };
  }

  async startContainer(options: { id: string }): Promise<void> {
    this.enter('startContainer', options);
    const container = this.mustFind(options.id, 'startContainer');
    if (container.details.running) return;
    markStarted(container, this.sequence);
    this.emitEvent('start', container);
  }

  async stopContainer(options: { id: string; graceSeconds: number }): Promise<void> {
    this.enter('stopContainer', options);
    const container = this.mustFind(options.id, 'stopContainer');
    if (container.details.running) this.exit(container, 143, false);
  }

  async killContainer(options: { id: string; signal?: string }): Promise<void> {
    this.enter('killContainer', options);
    const container = this.mustFind(options.id, 'killContainer');
    if (!container.details.running)
      throw fakeEngineError('killContainer', 409, `container ${options.id} is not running`);
    this.exit(container, 128 + (SIGNAL_NUMBERS[options.signal ?? 'SIGKILL'] ?? 9), false);
  }

  async removeContainer(options: { id: string; force?: boolean }): Promise<void> {
    this.enter('removeContainer', options);
    const container = this.findContainer(options.id);
    if (!container) return;
    if (container.details.running) {
      if (!options.force) throw fakeEngineError('removeContainer', 409, `container ${options.id} is running`);
      this.exit(container, 137, false);
    }
    this.containers.delete(container.details.id);
    this.emitEvent('destroy', container);
  }

  async inspectContainer(options: { id: string }): Promise<ContainerDetails | undefined> {
    this.enter('inspectContainer', options);
    const container = this.findContainer(options.id);
    return container && cloneDetails(container.details);
  }

  async listContainers(options: {
    labels: Record<string, string>;
    all?: boolean;
  }): Promise<ContainerSummary[]> {
    this.enter('listContainers', options);
    return [...this.containers.values()]
      .filter((c) => (options.all || c.details.running) && hasLabels(c.details.labels, options.labels))
      .map(containerSummary);
  }

  async waitContainer(options: { id: string; signal?: AbortSignal }): Promise<{ exitCode: number }> {
    this.enter('waitContainer', options);
    const container = this.mustFind(options.id, 'waitContainer');
    const id = container.details.id;
    while (this.containers.get(id)?.details.running) {
      // Rejects with the caller's reason, as the real engine's aborted request does.
      await once(this.emitter, `exit:${id}`, { signal: options.signal }).catch((error: unknown) => {
        throw options.signal?.aborted ? options.signal.reason : error;
      });
    }
    return { exitCode: container.details.exitCode };
  }

  async *containerLogs(options: ContainerLogsOptions): AsyncIterable<LogLine> {
    this.enter('containerLogs', options);
    yield* followLogs(this.mustFind(options.id, 'containerLogs'), this.emitter, options);
  }

  async *events(options: {
    labels: Record<string, string>;
    signal?: AbortSignal;
  }): AsyncIterable<EngineEvent> {
    this.enter('events', options);
    if (options.signal?.aborted) return;
    try {
      for await (const [event] of on(this.emitter, 'engine-event', { signal: options.signal })) {
        if (hasLabels((event as EngineEvent).labels, options.labels)) yield event as EngineEvent;
      }
    } catch (error) {
      if (!options.signal?.aborted) throw error;
    }
  }

  async stats(options: { id: string }): Promise<ContainerStats> {
    this.enter('stats', options);
    const container = this.mustFind(options.id, 'stats');
    if (!container.details.running) return { ...container.stats, memoryBytes: 0, cpuPercent: 0, pids: 0 };
    return { ...container.stats };
  }

  async removeLabelled(options: {
    label: string;
  }): Promise<{ containers: number; networks: number; images: number }> {
    this.enter('removeLabelled', options);
    const [key = '', value] = options.label.split(/=(.*)/s);
    const matches = (labels: Record<string, string>) =>
      key in labels && (value === undefined || labels[key] === value);
    const containers = [...this.containers.values()].filter((c) => matches(c.details.labels));
    for (const container of containers) await this.removeContainer({ id: container.details.id, force: true });
    const networks = this.networks.list((n) => matches(n.labels));
    for (const network of networks) this.networks.delete(network.name);
    const images = this.images.list(matches);
    for (const image of images) this.images.delete(image.id);
    return { containers: containers.length, networks: networks.length, images: images.length };
  }

  // Optional capabilities

  /** Fake containers run nothing, so there is nothing to exec into: the typed "not supported" error. */
  async execInContainer(options: ExecOptions): Promise<ExecResult> {
    void options;
    throw new EngineCapabilityNotSupportedError({ capability: 'exec', engine: 'FakeEngine' });
  }

  // ContainerStatsCapability

  async readContainerCounters(options: { id: string }): Promise<ContainerCounters | undefined> {
    this.enter('readContainerCounters', options);
    const container = this.findContainer(options.id);
    if (!container) return undefined;
    const { memoryBytes } = container.details.resources;
    return { readAt: new Date(), memoryLimitBytes: memoryBytes, ...container.counters };
  }

  // Internals

  private nextId(): string {
    this.sequence += 1;
    return this.sequence.toString(16).padStart(12, '0');
  }

  private findContainer(idOrName: string): FakeContainer | undefined {
    return (
      this.containers.get(idOrName) ??
      [...this.containers.values()].find(
        (c) => c.details.name === idOrName || (idOrName.length >= 12 && c.details.id.startsWith(idOrName)),
      )
    );
  }

  private mustFind(id: string, operation: string): FakeContainer {
    const container = this.findContainer(id);
    if (!container) throw fakeEngineError(operation, 404, `No such container: ${id}`);
    return container;
  }

  private exit(container: FakeContainer, exitCode: number, oomKilled: boolean): void {
    markExited(container, exitCode, oomKilled);
    this.emitEvent('die', container, exitCode);
    this.emitter.emit(`exit:${container.details.id}`);
  }

  private emitEvent(type: EngineEventType, container: FakeContainer, exitCode?: number): void {
    this.emitter.emit('engine-event', engineEvent(type, container, exitCode));
  }
}
