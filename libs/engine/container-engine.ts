import type { ContainerSpec } from './container-spec.js';
import type { RegistryAuth } from './registry-auth.js';

/**
 * The engine-neutral core every runtime speaks (compare Tsuru's Provisioner). One instance talks to ONE
 * host. Every method takes one options object (or nothing). Rules every implementation keeps:
 * - "absent" (`undefined`, or a silent no-op on remove) only where a method says so; every other failure
 *   rejects with an EngineError (or the more specific error the method names);
 * - objects it creates carry the engine's extra labels (e.g. the test run), so removeLabelled finds them;
 * - streams it returns are destroyed when the caller's AbortSignal fires or the caller stops iterating.
 * Optional abilities (exec, ...) live in separate capability interfaces, never here.
 */
export interface ContainerEngine {
  /** Resolves when the host answers; rejects (EngineError) otherwise. */
  ping(options?: { signal?: AbortSignal }): Promise<void>;
  info(): Promise<EngineInfo>;

  // Images
  /** Builds `tag` from a tar build context; each line of build output goes to onLog. Rejects with
   * BuildFailedError when the build reports an error, with `signal.reason` when aborted. */
  buildImage(options: BuildImageOptions): Promise<{ imageId: string }>;
  /** `undefined` when the image is absent. */
  inspectImage(options: { ref: string }): Promise<ImageInfo | undefined>;
  /** Absent is fine. `force` also removes an image that has several tags or stopped containers. */
  removeImage(options: { ref: string; force?: boolean }): Promise<void>;
  /** A tar stream of the image (`docker save`). Rejects with EngineError (404) when absent. */
  saveImage(options: { ref: string }): Promise<NodeJS.ReadableStream>;
  /** Loads a tar made by saveImage (`docker load`); resolves once the host has read all of it. */
  loadImage(options: { tar: NodeJS.ReadableStream }): Promise<void>;
  /** Gives image `ref` the extra name `target` ("repository:tag"). Rejects (404) when `ref` is absent. */
  tagImage(options: { ref: string; target: string }): Promise<void>;
  /** Pushes `ref` to the registry its repository names ("host:port/name:tag") and resolves, once the
   * registry holds all of it, with the manifest digest the registry stored ("sha256:…"). `auth` carries a
   * registry token (none: the registry must accept this host's anonymous pushes). Rejects with EngineError
   * (404 when `ref` is absent here) when the push fails, with `signal.reason` when aborted. */
  pushImage(options: { ref: string; auth?: RegistryAuth; signal?: AbortSignal }): Promise<{ digest: string }>;
  /** Pulls `ref` ("host:port/name:tag" or "host:port/name@sha256:…") from its registry, with `auth`'s
   * token when given. Rejects with EngineError: 404 when the registry does not have it, another status
   * when the registry cannot be reached or refuses. */
  pullImage(options: { ref: string; auth?: RegistryAuth; signal?: AbortSignal }): Promise<void>;
  /** Images carrying every given label (`{}`: all images). */
  listImages(options: { labels: Record<string, string> }): Promise<ImageSummary[]>;

  // Networks
  /** Idempotent: returns the existing network of that name (its settings untouched) or creates one.
   * Concurrent calls for one name end with one network: within a process they share one creation;
   * across processes a duplicate the engine let through is folded back (see DockerEngine). */
  ensureNetwork(options: EnsureNetworkOptions): Promise<{ id: string }>;
  /** `undefined` when no network has that name. */
  inspectNetwork(options: { name: string }): Promise<NetworkSummary | undefined>;
  /** Absent is fine. Rejects (409) while containers are still attached. */
  removeNetwork(options: { name: string }): Promise<void>;
  listNetworks(options: { labels: Record<string, string> }): Promise<NetworkSummary[]>;

  // Containers
  createContainer(spec: ContainerSpec): Promise<{ id: string }>;
  /** Starting a running container is a no-op. */
  startContainer(options: { id: string }): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. Stopping a stopped container is a no-op. */
  stopContainer(options: { id: string; graceSeconds: number }): Promise<void>;
  /** Default signal SIGKILL. Rejects (409) when the container is not running. */
  killContainer(options: { id: string; signal?: string }): Promise<void>;
  /** Absent is fine. Without `force` a running container is refused (409). */
  removeContainer(options: { id: string; force?: boolean }): Promise<void>;
  /** `undefined` when the container is absent. `id` may be an id or a name. */
  inspectContainer(options: { id: string }): Promise<ContainerDetails | undefined>;
  /** Containers carrying every given label; `all` includes stopped ones. */
  listContainers(options: { labels: Record<string, string>; all?: boolean }): Promise<ContainerSummary[]>;
  /** Resolves with the exit code once the container is not running (at once when it already stopped). */
  waitContainer(options: { id: string; signal?: AbortSignal }): Promise<{ exitCode: number }>;

  // Logs, events, stats
  /** Demultiplexed log lines, oldest first, one LogLine per line (lines the engine split into several
   * chunks come back whole). With `follow` it waits for new lines until the container stops or `signal`
   * fires; abort ends the iteration without an error. */
  containerLogs(options: ContainerLogsOptions): AsyncIterable<LogLine>;
  /** Lifecycle events of containers carrying every given label, from now on, until `signal` fires
   * (which ends the iteration without an error). */
  events(options: { labels: Record<string, string>; signal?: AbortSignal }): AsyncIterable<EngineEvent>;
  /** One sample (may take a second: CPU needs two readings). */
  stats(options: { id: string }): Promise<ContainerStats>;

  /** Force-removes containers, then networks, then images carrying `label` ("key=value" or "key"), and
   * the volumes an engine with ContainerFilesCapability made with it (not counted). A running host guard
   * (role host-guard) is stopped first, so it removes its rules. For test cleanup and decommissioning. */
  removeLabelled(options: {
    label: string;
  }): Promise<{ containers: number; networks: number; images: number }>;
}

export interface EngineInfo {
  engineVersion: string;
  apiVersion: string;
  cpus: number;
  memoryMb: number;
  os: string;
  architecture: string;
}

export interface BuildImageOptions {
  /** A tar archive holding the Dockerfile at its root and the files it copies. */
  context: NodeJS.ReadableStream;
  tag: string;
  labels: Record<string, string>;
  /** Memory (and memory+swap: no swap) of each build step's container. */
  memoryMb: number;
  cpuMillis: number;
  buildArgs?: Record<string, string>;
  /** Network of the RUN steps: pass the tenant's network (tenantNetworkName) so a build can reach only
   * its own tenant's containers. Default: the engine's default bridge, shared by every build on the host. */
  networkName?: string;
  signal?: AbortSignal;
  /** Each line of build output, without its trailing newline or terminal colour codes. */
  onLog?: (line: string) => void;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  sizeBytes: number;
  createdAt: Date;
  user: string;
  os: string;
  architecture: string;
}

export interface ImageSummary {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  sizeBytes: number;
  createdAt: Date;
}

export interface EnsureNetworkOptions {
  name: string;
  labels: Record<string, string>;
  internal?: boolean;
  /** Explicit IPAM ("10.64.3.0/24"); without it the engine picks from its own default pools. The engine
   * refuses (EngineError) a subnet that overlaps another network of the host. */
  subnet?: string;
  /** The bridge's address inside `subnet`; only with `subnet`. */
  gateway?: string;
}

export interface NetworkSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  internal: boolean;
  /** IPv4/IPv6 address ranges of the network, as the engine reports them. */
  ipam: { subnet: string; gateway: string | undefined }[];
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PublishedPort {
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
}

export interface ContainerDetails {
  id: string;
  name: string;
  /** The image reference the container was created from, and the image id it resolved to. */
  image: string;
  imageId: string;
  state: ContainerState;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** The runtime's error for a container that failed to start, '' otherwise. */
  error: string;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  restartCount: number;
  labels: Record<string, string>;
  ports: PublishedPort[];
  /** By network name. */
  networks: Record<string, { ipAddress: string; aliases: string[] }>;
  /** What the container actually runs with (to check drift against the spec). */
  resources: {
    memoryBytes: number;
    memorySwapBytes: number;
    nanoCpus: number;
    pidsLimit: number;
    readOnlyRootfs: boolean;
    user: string;
  };
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  /** Human text from the engine, e.g. "Up 3 minutes". */
  status: string;
  labels: Record<string, string>;
  createdAt: Date;
}

export interface ContainerLogsOptions {
  id: string;
  follow: boolean;
  since?: Date;
  until?: Date;
  /** Only the last N log records (before following). Docker counts records, not lines: a line longer
   * than 16 KiB is several records, so the first line of a tail can be the end of a longer line. */
  tail?: number;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as the engine stamped the line (sorts as text within one host). */
  timestamp: string;
  text: string;
}

export type EngineEventType = 'start' | 'die' | 'oom' | 'destroy';

export interface EngineEvent {
  type: EngineEventType;
  containerId: string;
  labels: Record<string, string>;
  /** On 'die'. */
  exitCode: number | undefined;
  time: Date;
}

export interface ContainerStats {
  /** Memory in use, without the page cache (what counts toward an OOM kill). */
  memoryBytes: number;
  memoryLimitBytes: number;
  /** 100 = one full CPU. */
  cpuPercent: number;
  /** Processes and threads in the container. */
  pids: number;
}
