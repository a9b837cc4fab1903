import crypto from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import type { CommitLayersOptions, ImageRunConfig } from './container-files.js';
import { dockerCall, toEngineError } from './docker-errors.js';
import { EngineError } from './engine-errors.js';
import { abortReason, destroyOnAbort } from './stream-lines.js';

/** One new layer, spooled: its file, its size and its diff id (sha256 of the uncompressed tar). */
interface SpooledLayer {
  file: string;
  size: number;
  diffId: string;
}

/** What of the base image a child image keeps (the Engine API's image inspect). */
interface BaseImage {
  Architecture?: string;
  Os?: string;
  Variant?: string;
  RootFS?: { Layers?: string[] };
  Config?: {
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, object> | null;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
  };
}

/**
 * The images of `options` made in one `POST /images/load`: each new layer is spooled to a temporary file
 * (its size and digest go before its bytes in the archive), then an image archive holding only the new
 * layers and each image's config is loaded. The Engine skips the base's layers it already has (they are
 * named in the manifest, not shipped), and applies each new layer once. Before: a container per image,
 * the files extracted into it, then committed (the commit reads them back out and applies them again).
 */
export async function dockerCommitLayers(
  docker: Docker,
  extraLabels: Record<string, string>,
  options: CommitLayersOptions,
): Promise<void> {
  // Every stream is read or destroyed whatever fails: a caller may wait for a layer's end (the install
  // container goes once node_modules has been read).
  const unread = new Set(options.layers);
  let dir: string | undefined;
  try {
    if (options.signal?.aborted) throw abortReason(options.signal);
    const parent = options.spoolDir ?? os.tmpdir();
    await fs.mkdir(parent, { recursive: true, mode: 0o700 });
    dir = await fs.mkdtemp(path.join(parent, 'berth-layers-'));
    const spoolDir = dir;
    validateImages(options);
    const base = (await dockerCall('commitLayers', () =>
      docker.getImage(options.baseImage).inspect(),
    )) as BaseImage;
    const baseLayers = base.RootFS?.Layers ?? [];
    const layers: SpooledLayer[] = [];
    for (const [index, tar] of options.layers.entries()) {
      unread.delete(tar);
      layers.push(await spoolLayer(tar, path.join(spoolDir, `${index}.tar`), options.signal));
    }
    const configs = options.images.map((image) =>
      Buffer.from(
        JSON.stringify(
          childImageConfig(base, {
            diffIds: [...baseLayers, ...layers.slice(0, image.layers).map((layer) => layer.diffId)],
            labels: { ...extraLabels, ...image.labels },
            config: image.config,
          }),
        ),
      ),
    );
    const archive = loadArchive({ baseLayers: baseLayers.length, layers, configs, images: options.images });
    const stopListening = destroyOnAbort(archive, options.signal);
    try {
      const output = (await docker.loadImage(archive, {
        quiet: true,
        abortSignal: options.signal,
      })) as NodeJS.ReadableStream;
      await loadOutcome(output);
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      throw toEngineError('commitLayers', error);
    } finally {
      stopListening();
    }
  } finally {
    for (const tar of unread) (tar as Readable).destroy?.();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  }
}

function validateImages(options: CommitLayersOptions): void {
  if (options.images.length === 0) throw new RangeError('commitLayers needs at least one image');
  for (const image of options.images) {
    if (!Number.isInteger(image.layers) || image.layers < 1 || image.layers > options.layers.length) {
      throw new RangeError(`image ${image.tag} names ${image.layers} of ${options.layers.length} new layers`);
    }
  }
}

async function spoolLayer(
  tar: NodeJS.ReadableStream,
  file: string,
  signal?: AbortSignal,
): Promise<SpooledLayer> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(tar, measure, createWriteStream(file, { mode: 0o600 }), { signal });
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw error;
  }
  return { file, size, diffId: `sha256:${hash.digest('hex')}` };
}

/**
 * The config of an image made of `base` and new layers, as a commit of a container created from `base`
 * with `config` would write it: the base's settings, `config` over them (its environment merged by name),
 * the base's labels with `labels` over them. No history: the Engine accepts fewer entries than layers.
 */
export function childImageConfig(
  base: BaseImage,
  options: { diffIds: string[]; labels: Record<string, string>; config?: ImageRunConfig },
): Record<string, unknown> {
  const from = base.Config ?? {};
  const given = options.config ?? {};
  const ports = { ...(from.ExposedPorts ?? {}) };
  for (const port of given.exposedPorts ?? []) ports[port] = {};
  return {
    architecture: base.Architecture ?? os.arch(),
    os: base.Os ?? 'linux',
    ...(base.Variant ? { variant: base.Variant } : {}),
    created: new Date().toISOString(),
    config: {
      Env: mergeEnv(from.Env ?? [], given.env ?? []),
      Cmd: given.cmd ?? from.Cmd ?? null,
      Entrypoint: from.Entrypoint ?? null,
      WorkingDir: given.workingDir ?? from.WorkingDir ?? '',
      User: given.user ?? from.User ?? '',
      ...(Object.keys(ports).length > 0 ? { ExposedPorts: ports } : {}),
      Labels: { ...(from.Labels ?? {}), ...options.labels },
      ...(from.StopSignal ? { StopSignal: from.StopSignal } : {}),
    },
    rootfs: { type: 'layers', diff_ids: options.diffIds },
    history: [],
  };
}

/** `NAME=value` lists: a name in `over` replaces the base's, the base's others keep their place. */
function mergeEnv(base: string[], over: string[]): string[] {
  const nameOf = (entry: string) => entry.split('=', 1)[0]!;
  const overNames = new Set(over.map(nameOf));
  return [...base.filter((entry) => !overNames.has(nameOf(entry))), ...over];
}

/**
 * The `docker save` layout the load reads: `manifest.json` (per image its config file, tag and layer
 * files), the configs, and the new layers' files. The base's layers are named but not shipped: the Engine
 * looks each layer up by its chain id and opens a file only for one it lacks.
 */
function loadArchive(options: {
  baseLayers: number;
  layers: SpooledLayer[];
  configs: Buffer[];
  images: CommitLayersOptions['images'];
}): Readable {
  const pack = tarStream.pack();
  const baseFiles = Array.from({ length: options.baseLayers }, (_, i) => `base-${i}/layer.tar`);
  const layerFiles = options.layers.map((_, i) => `layer-${i}/layer.tar`);
  const configFiles = options.configs.map(
    (config) => `${crypto.createHash('sha256').update(config).digest('hex')}.json`,
  );
  const manifest = options.images.map((image, i) => ({
    Config: configFiles[i],
    RepoTags: [image.tag],
    Layers: [...baseFiles, ...layerFiles.slice(0, image.layers)],
  }));
  const fill = async () => {
    for (const [i, layer] of options.layers.entries()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: layerFiles[i]!, size: layer.size, mode: 0o644 }, (error) =>
          error ? reject(error) : resolve(),
        );
        pipeline(createReadStream(layer.file), entry).catch(reject);
      });
    }
    for (const [i, config] of options.configs.entries())
      pack.entry({ name: configFiles[i]!, mode: 0o644 }, config);
    pack.entry({ name: 'manifest.json', mode: 0o644 }, JSON.stringify(manifest));
    pack.finalize();
  };
  fill().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  return Readable.from(pack);
}

/** The load's JSON messages; rejects with the Engine's error when one says so. */
async function loadOutcome(output: NodeJS.ReadableStream): Promise<void> {
  let text = '';
  for await (const chunk of output) {
    if (text.length < 64 * 1024) text += chunk.toString();
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let message: { error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error) throw new EngineError({ operation: 'commitLayers', message: error });
  }
}
