import type { ContainerEngine } from './container-engine.js';
import { EngineError, ImageUnavailableError } from './engine-errors.js';

/**
 * The name an image has in a registry: the registry address ("host:port", optionally with a path
 * prefix) in front of Berth's own name. Releases keep Berth's own name, so turning a registry on or off
 * (or moving it) never breaks an old release.
 */
export function registryRef(registry: string, ref: string): string {
  return `${registry.replace(/\/+$/, '')}/${ref}`;
}

/** "host:5000/a/b:tag" → repository "host:5000/a/b", tag "tag" (the registry port is not a tag). */
export function splitReference(ref: string): { repository: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

export interface EnsureImageOptions {
  ref: string;
  target: ContainerEngine;
  /** Hosts that may have the image: to copy it from, or to push it from when the registry lacks it. */
  sources: ContainerEngine[];
  /** Registry address ("host:port[/prefix]"); when given, images move through it. */
  registry?: string;
  /** Told when the registry fails and the image moves host to host instead. */
  onWarning?: (message: string) => void;
}

export type ImagePath = 'present' | 'registry' | 'host';

/**
 * Makes sure `target` has image `ref`.
 * - With a registry: the target pulls it; when the registry lacks it, the first source that has it
 *   pushes it first. If the registry cannot be reached (or refuses), the image moves host to host
 *   instead, with a warning: a registry outage slows placements down, it does not stop them.
 * - Host to host: `docker save` from the first source that has it streams straight into `docker load`
 *   on the target (no temp file).
 * Rejects with ImageUnavailableError when neither the registry nor any source has it.
 */
export async function ensureImage(options: EnsureImageOptions): Promise<{ path: ImagePath }> {
  const { ref, target } = options;
  if (await target.inspectImage({ ref })) return { path: 'present' };
  let holder: Promise<ContainerEngine | undefined> | undefined;
  const sourceWithImage = () => (holder ??= firstWithImage(ref, options.sources, target));
  if (options.registry !== undefined) {
    const remote = registryRef(options.registry, ref);
    try {
      if (await pullAs({ engine: target, remote, ref })) return { path: 'registry' };
      const source = await sourceWithImage();
      if (!source) throw new ImageUnavailableError({ ref, registry: options.registry });
      await publishImage({ engine: source, ref, registry: options.registry });
      if (await pullAs({ engine: target, remote, ref })) return { path: 'registry' };
      throw new EngineError({
        operation: 'ensureImage',
        message: `${remote} is absent right after pushing it`,
      });
    } catch (error) {
      if (error instanceof ImageUnavailableError) throw error;
      options.onWarning?.(
        `registry ${options.registry} failed for ${ref} (${(error as Error).message}); copying it from another host`,
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

/** Pushes in flight, per engine and registry name: concurrent placements share one push. */
const publishing = new WeakMap<ContainerEngine, Map<string, Promise<{ remote: string }>>>();

/**
 * Pushes image `ref` from `engine` to the registry under registryRef(registry, ref). The registry name
 * is a second tag only for the push: removing it afterwards leaves the image as it was. Concurrent calls
 * for one image on one engine share one push (otherwise one call's untag could pull the name away from
 * under another's push).
 */
export function publishImage(options: {
  engine: ContainerEngine;
  ref: string;
  registry: string;
  signal?: AbortSignal;
}): Promise<{ remote: string }> {
  const remote = registryRef(options.registry, options.ref);
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
  signal?: AbortSignal;
}): Promise<{ remote: string }> {
  const { engine, ref, remote } = options;
  await engine.tagImage({ ref, target: remote });
  try {
    await engine.pushImage({ ref: remote, ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    await engine.removeImage({ ref: remote }).catch(() => undefined);
  }
  return { remote };
}

/** Pulls `remote` and names it `ref`, dropping the registry name. False when the registry lacks it. */
async function pullAs(options: { engine: ContainerEngine; remote: string; ref: string }): Promise<boolean> {
  const { engine, remote, ref } = options;
  try {
    await engine.pullImage({ ref: remote });
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
