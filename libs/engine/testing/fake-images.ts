import crypto from 'node:crypto';
import type { ImageInfo, ImageSummary } from '../container-engine.js';
import { EngineError } from '../engine-errors.js';

/** An image a fake engine (or fake registry) holds. */
export interface FakeImage extends ImageInfo {
  /** Bytes saveImage returns; a small JSON document when the image was not given real tar bytes. */
  tar?: Buffer;
}

const SAVED_IMAGE_MARKER = 'berth-fake-engine-image';

/**
 * The images of one fake engine, with Docker's naming rules where callers depend on them: a name
 * ("repo:tag", "repo" meaning "repo:latest", an id or its prefix) points at one image; giving a name to
 * an image takes it from any other; removing by a name an image has among several only drops that name.
 */
export class FakeImageStore {
  private readonly images = new Map<string, FakeImage>();

  add(image: FakeImage): void {
    for (const tag of image.tags) this.untag(tag);
    this.images.set(image.id, image);
  }

  find(ref: string): FakeImage | undefined {
    const withTag = withDefaultTag(ref);
    return (
      this.images.get(ref) ??
      [...this.images.values()].find(
        (image) => image.tags.includes(withTag) || image.id.startsWith(`sha256:${ref}`),
      )
    );
  }

  info(ref: string): ImageInfo | undefined {
    const image = this.find(ref);
    if (!image) return undefined;
    const { tar: _tar, ...info } = image;
    return { ...info, tags: [...info.tags], labels: { ...info.labels } };
  }

  tag(image: FakeImage, target: string): void {
    const name = withDefaultTag(target);
    this.untag(name);
    image.tags.push(name);
  }

  /** Docker's `rmi NAME`: only untags when the image has other names too; otherwise deletes it. */
  remove(ref: string, image: FakeImage): void {
    const name = withDefaultTag(ref);
    if (image.tags.includes(name) && image.tags.length > 1) {
      image.tags = image.tags.filter((tag) => tag !== name);
      return;
    }
    this.images.delete(image.id);
  }

  delete(id: string): void {
    this.images.delete(id);
  }

  list(matches: (labels: Record<string, string>) => boolean): FakeImage[] {
    return [...this.images.values()].filter((image) => matches(image.labels));
  }

  summaries(matches: (labels: Record<string, string>) => boolean): ImageSummary[] {
    return this.list(matches).map(({ id, tags, labels, sizeBytes, createdAt }) => ({
      id,
      tags: [...tags],
      labels: { ...labels },
      sizeBytes,
      createdAt,
    }));
  }

  private untag(name: string): void {
    for (const image of this.images.values()) image.tags = image.tags.filter((tag) => tag !== name);
  }
}

export function newFakeImage(
  id: string,
  tags: string[],
  labels: Record<string, string>,
  tar?: Buffer,
): FakeImage {
  return {
    id,
    tags: tags.map(withDefaultTag),
    labels,
    sizeBytes: tar?.length ?? 0,
    createdAt: new Date(),
    user: '',
    os: 'linux',
    architecture: 'amd64',
    tar,
  };
}

/** What saveImage streams: the real tar bytes when the image has them, else the image as JSON. */
export function savedImageBytes(image: FakeImage): Buffer {
  return image.tar ?? Buffer.from(JSON.stringify({ [SAVED_IMAGE_MARKER]: image }));
}

/** The image a savedImageBytes document holds, or undefined for anything else. */
export function parseSavedImage(bytes: Buffer): FakeImage | undefined {
  try {
    const saved = (JSON.parse(bytes.toString('utf8')) as Record<string, FakeImage>)[SAVED_IMAGE_MARKER];
    return saved ? { ...saved, createdAt: new Date(saved.createdAt) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A registry that fake engines push to and pull from, by the full reference ("host:port/name:tag", or
 * "host:port/name@sha256:…" for a manifest pushed before). A manifest's digest is derived from the image
 * id, so pushing one image twice gives one digest and pushing another image under a tag gives another.
 * Test controls: setReachable(false) makes every push and pull fail as a refused connection would.
 */
export class FakeRegistry {
  private readonly manifests = new Map<string, FakeImage>();
  private reachable = true;

  constructor(readonly address = '127.0.0.1:5000') {}

  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  /** Whether the engine can talk to this registry for `ref`; the reason when it cannot. */
  refusal(ref: string): string | undefined {
    if (!ref.startsWith(`${this.address}/`)) return `no registry answers for ${ref}`;
    if (!this.reachable) return `Get "http://${this.address}/v2/": connect: connection refused`;
    return undefined;
  }

  /** Stores `image` under tag `ref` and under its digest reference; returns the digest. */
  put(ref: string, image: FakeImage): string {
    const digest = `sha256:${crypto.createHash('sha256').update(image.id).digest('hex')}`;
    this.manifests.set(withDefaultTag(ref), structuredClone(image));
    this.manifests.set(`${repositoryOf(ref)}@${digest}`, structuredClone(image));
    return digest;
  }

  get(ref: string): FakeImage | undefined {
    const image = this.manifests.get(withDefaultTag(ref));
    return image ? structuredClone(image) : undefined;
  }

  /** Every tag the registry holds ("host:port/name:tag"; digest references left out). */
  refs(): string[] {
    return [...this.manifests.keys()].filter((ref) => !ref.includes('@')).sort();
  }

  delete(ref: string): boolean {
    return this.manifests.delete(withDefaultTag(ref));
  }
}

/** pushImage of a fake engine: `ref` from its images into the registry `ref` names; the manifest digest. */
export function pushToRegistry(
  images: FakeImageStore,
  registry: FakeRegistry | undefined,
  ref: string,
): string {
  const image = images.find(ref);
  if (!image) {
    throw new EngineError({
      operation: 'pushImage',
      statusCode: 404,
      message: `An image does not exist locally with the tag: ${ref}`,
    });
  }
  return reachable('pushImage', registry, ref).put(ref, image);
}

/** pullImage of a fake engine: `ref` from its registry into its images, named `ref`. */
export function pullFromRegistry(
  images: FakeImageStore,
  registry: FakeRegistry | undefined,
  ref: string,
): void {
  const image = reachable('pullImage', registry, ref).get(ref);
  if (!image) {
    throw new EngineError({
      operation: 'pullImage',
      statusCode: 404,
      message: `manifest for ${ref} not found: manifest unknown`,
    });
  }
  const existing = images.find(image.id);
  if (existing) images.tag(existing, ref);
  else images.add({ ...image, tags: [ref] });
}

/** The registry `ref` names, when the engine can reach it; else the connection error a host reports. */
function reachable(operation: string, registry: FakeRegistry | undefined, ref: string): FakeRegistry {
  const refusal = registry ? registry.refusal(ref) : `no registry answers for ${ref}`;
  if (!registry || refusal !== undefined) {
    throw new EngineError({ operation, statusCode: 500, message: refusal ?? 'unreachable' });
  }
  return registry;
}

function withDefaultTag(ref: string): string {
  if (ref.startsWith('sha256:') || ref.includes('@')) return ref;
  return ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref : `${ref}:latest`;
}

/** "host:5000/a/b:tag" → "host:5000/a/b". */
function repositoryOf(ref: string): string {
  const name = ref.split('@', 1)[0]!;
  return name.lastIndexOf(':') > name.lastIndexOf('/') ? name.slice(0, name.lastIndexOf(':')) : name;
}
