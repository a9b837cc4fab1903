import type { ContainerEngine } from './container-engine.js';
import { EngineError, ImageUnavailableError } from './engine-errors.js';
import { engineAuthFor, isImageDigest, type RegistryTarget } from './registry-auth.js';

/**
 * The name an image has in a registry: the registry address ("host:port", optionally with a path
 * prefix) in front of Berth's own name. Releases keep Berth's own name, so turning a registry on or off
 * (or moving it) never breaks an old release.
 */
export function registryRef(registry: string, ref: string): string {
  return `${registry.replace(/\/+$/, '')}/${ref}`;
}

/** The reference that names exactly the manifest `digest` in the repository of `remote`. */
export function digestReference(remote: string, digest: string): string {
  if (!isImageDigest(digest)) throw new Error(`"${digest}" is not a sha256 manifest digest`);
  return `${splitReference(remote).repository}@${digest}`;
}

/**
 * "host:5000/a/b:tag" → repository "host:5000/a/b", tag "tag" (the registry port is not a tag);
 * "host:5000/a/b@sha256:…" → repository "host:5000/a/b", tag "sha256:…" (what the Engine API takes).
 */
export function splitReference(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

export interface EnsureImageOptions {
  ref: string;
  target: ContainerEngine;
  /** Hosts that may have the image: to copy it from, or to push it from when the registry lacks it. */
  sources: ContainerEngine[];
  /** The registry images move through, when one is configured. */
  registry?: RegistryTarget;
  /**
   * The manifest digest the image was pushed with (a release's `image_digest`). When given, the target
   * pulls exactly that manifest, never whatever the tag points at now; when the registry lacks it, the
   * image is copied from a host that has it (never pushed again: the tag may name something else now).
   */
  digest?: string;
  /** Told when the registry fails and the image moves host to host instead. */
  onWarning?: (message: string) => void;
}

export type ImagePath = 'present' | 'registry' | 'host';

/**
 * Makes sure `target` has image `ref`.
 * - With a registry: the target pulls it (by `digest` when given) with a pull-only token for its
 *   repository; when the registry lacks a tag, the first source that has the image pushes it first. If
 *   the registry cannot be reached (or refuses), the image moves host to host instead, with a warning: a
 *   registry outage slows placements down, it does not stop them.
 * - Host to host: `docker save` from the first source that has it streams straight into `docker load`
 *   on the target (no temp file).
 * Rejects with ImageUnavailableError when neither the registry nor any source has it.
 */
export async function ensureImage(options: EnsureImageOptions): Promise<{ path: ImagePath }> {
  const { ref, target } = options;
  if (await target.inspectImage({ ref })) return { path: 'present' };
  let holder: Promise<ContainerEngine | undefined> | undefined;
  const sourceWithImage = () => (holder ??= firstWithImage(ref, options.sources, target));
  const { registry, digest } = options;
  if (registry !== undefined) {
    const remote = registryRef(registry.address, ref);
    const pulled = digest === undefined ? remote : digestReference(remote, digest);
    try {
      if (await pullAs({ engine: target, remote: pulled, ref, registry })) return { path: 'registry' };
      if (digest === undefined) {
        const source = await sourceWithImage();
        if (!source) throw new ImageUnavailableError({ ref, registry: registry.address });
        await publishImage({ engine: source, ref, registry });
        if (await pullAs({ engine: target, remote, ref, registry })) return { path: 'registry' };
        throw new EngineError({
          operation: 'ensureImage',
          message: `${remote} is absent right after pushing it`,
        });
      }
      options.onWarning?.(`registry ${registry.address} has no ${pulled}; copying ${ref} from another host`);
    } catch (error) {
      if (error instanceof ImageUnavailableError) throw error;
      options.onWarning?.(
        `registry ${registry.address} failed for ${ref} (${(error as Error).message}); copying it from another host`,
      );
    }
  }
  const source = await sourceWithImage();
  if (!source) throw new ImageUnavailableError({ ref });
  const tar = await source.saveImage({ ref });
  try {
    await target.loadImage({ tar });
  } catch (error) {
    (tar as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    throw error;
  }
  if (!(await target.inspectImage({ ref }))) {
    throw new EngineError({ operation: 'ensureImage', message: `${ref} is still absent after loading it` });
  }
  return { path: 'host' };
}

/** What a push left in the registry: the image's name there and its manifest's digest. */
export interface PublishedImage {
  remote: string;
  digest: string;
}

/** Pushes in flight, per engine and registry name: concurrent placements share one push. */
const publishing = new WeakMap<ContainerEngine, Map<string, Promise<PublishedImage>>>();

/**
 * Pushes image `ref` from `engine` to the registry under registryRef(registry, ref), with a token that
 * grants push on that one repository, and resolves with the manifest digest the registry stored. The
 * registry name is a second tag only for the push: removing it afterwards leaves the image as it was.
 * Concurrent calls for one image on one engine share one push (otherwise one call's untag could pull the
 * name away from under another's push).
 */
export function publishImage(options: {
  engine: ContainerEngine;
  ref: string;
  registry: RegistryTarget;
  signal?: AbortSignal;
}): Promise<PublishedImage> {
  const remote = registryRef(options.registry.address, options.ref);
  let inFlight = publishing.get(options.engine);
  if (!inFlight) publishing.set(options.engine, (inFlight = new Map()));
  const running = inFlight.get(remote);
  if (running) return running;
  const push = pushOnce({ ...options, remote }).finally(() => inFlight.delete(remote));
  inFlight.set(remote, push);
  return push;
}

async function pushOnce(options: {
  engine: ContainerEngine;
  ref: string;
  remote: string;
  registry: RegistryTarget;
  signal?: AbortSignal;
}): Promise<PublishedImage> {
  const { engine, ref, remote } = options;
  const auth = engineAuthFor(options.registry, remote, ['pull', 'push']);
  await engine.tagImage({ ref, target: remote });
  try {
    const { digest } = await engine.pushImage({
      ref: remote,
      ...(auth ? { auth } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { remote, digest };
  } finally {
    await engine.removeImage({ ref: remote }).catch(() => undefined);
  }
}

/**
 * Pulls `remote` (a tag, or a digest reference) with a pull-only token and names it `ref`, dropping the
 * registry name. False when the registry lacks it.
 */
async function pullAs(options: {
  engine: ContainerEngine;
  remote: string;
  ref: string;
  registry: RegistryTarget;
}): Promise<boolean> {
  const { engine, remote, ref } = options;
  const auth = engineAuthFor(options.registry, remote, ['pull']);
  try {
    await engine.pullImage({ ref: remote, ...(auth ? { auth } : {}) });
  } catch (error) {
    if (error instanceof EngineError && error.notFound) return false;
    throw error;
  }
  await engine.tagImage({ ref: remote, target: ref });
  await engine.removeImage({ ref: remote });
  return true;
}

async function firstWithImage(
  ref: string,
  sources: ContainerEngine[],
  target: ContainerEngine,
): Promise<ContainerEngine | undefined> {
  for (const source of sources) if (source !== target && (await source.inspectImage({ ref }))) return source;
  return undefined;
}
