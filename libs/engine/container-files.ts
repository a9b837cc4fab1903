import type { ContainerEngine } from './container-engine.js';
import { EngineCapabilityNotSupportedError } from './engine-errors.js';

/**
 * Optional ability, outside the core ContainerEngine: per-build volumes and moving files in and out of
 * a container as tar streams (Docker's putArchive/getArchive). Build containers use it: the source goes
 * in and node_modules comes out through the Engine API, never through a host path.
 *
 * Why a tmpfs volume: Docker 20.10 refuses putArchive on a read-only root filesystem and on a tmpfs
 * mount ("container rootfs is marked read-only"), but accepts it on a volume; and on ext4 + overlay2 a
 * `local` volume of type tmpfs is the only one whose size the engine can bound. Its content lives only
 * while a container holds it mounted: put and get files while the container runs (a put into a created,
 * not started, container mounts the tmpfs, writes, unmounts, and the files are gone).
 */
export interface ContainerFilesCapability {
  /**
   * Creates a tmpfs volume of `sizeMb` whose root belongs to `uid` (mode 0700, nosuid, nodev). Its pages
   * count toward the memory of the container that writes them. Rejects (409) when the name is taken.
   */
  createVolume(options: CreateVolumeOptions): Promise<void>;
  /** Absent is fine. Rejects (409) while a container uses it. */
  removeVolume(options: { name: string }): Promise<void>;
  /** Extracts a tar stream into `path` (an existing folder) of the container, as the engine's root. */
  putArchive(options: {
    id: string;
    path: string;
    tar: NodeJS.ReadableStream;
    signal?: AbortSignal;
  }): Promise<void>;
  /** A tar stream of `path` (its last component is the top folder of the entries); `undefined` when
   * `path` does not exist. The caller must read or destroy it. */
  getArchive(options: {
    id: string;
    path: string;
    signal?: AbortSignal;
  }): Promise<NodeJS.ReadableStream | undefined>;
  /**
   * Images made of `baseImage` and new layers, in one call: each of `layers` is a tar stream of paths
   * from the image's root (`app/node_modules/...`), one layer over the previous; each of `images` is the
   * base plus its first `layers` of them, tagged `tag`, with `labels` added to the base's and `config`
   * over the base's command, environment and user. No container, no builder, no step per instruction:
   * the layers are applied once. Every stream is read or destroyed before it settles.
   */
  commitLayers(options: CommitLayersOptions): Promise<void>;
}

export interface CommitLayersOptions {
  baseImage: string;
  layers: NodeJS.ReadableStream[];
  images: { tag: string; layers: number; labels: Record<string, string>; config?: ImageRunConfig }[];
  /** Where the layers wait (each in a file of its own, removed at the end); the system's temp folder by default. */
  spoolDir?: string;
  signal?: AbortSignal;
}

/** What an image runs, where the base's is not kept. */
export interface ImageRunConfig {
  cmd?: string[];
  /** `NAME=value`; a name the base image has is replaced, the base's others stay. */
  env?: string[];
  workingDir?: string;
  user?: string;
  /** `8080/tcp` */
  exposedPorts?: string[];
}

export interface CreateVolumeOptions {
  name: string;
  labels: Record<string, string>;
  sizeMb: number;
  uid: number;
}

/** True when `engine` has the files ability. */
export function hasFilesCapability(
  engine: ContainerEngine,
): engine is ContainerEngine & ContainerFilesCapability {
  const candidate = engine as Partial<ContainerFilesCapability>;
  return typeof candidate.createVolume === 'function' && typeof candidate.putArchive === 'function';
}

/** The files ability of `engine`, or EngineCapabilityNotSupportedError when it has none. */
export function filesCapabilityOf(engine: ContainerEngine): ContainerEngine & ContainerFilesCapability {
  if (!hasFilesCapability(engine)) {
    throw new EngineCapabilityNotSupportedError({ capability: 'files', engine: engine.constructor.name });
  }
  return engine;
}
