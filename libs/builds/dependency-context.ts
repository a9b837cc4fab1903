import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { NORMALIZED_MTIME, writeEntry } from './archive-normalize.js';
import { BUILD_UID, type DependencyManifest } from './build-containment.js';
import { APP_DIR, APP_UID, appDirEntry } from './app-image.js';
import { gunzipIfNeeded } from './dockerfile.js';

/** The root files npm reads to install; only these enter the install container (as the old RUN step saw). */
export const MANIFEST_NAMES = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'] as const;
const MANIFEST_SET = new Set<string>(MANIFEST_NAMES);

/**
 * The manifests at the root of a stored normalized source (tar or tar.gz). Regular files only: a
 * symlinked package.json is left out, as the old `COPY package.json` of a link resolved to nothing.
 * Their size is bounded by the plan's upload limit, which the source already passed.
 */
export async function readDependencyManifests(normalizedTar: Readable): Promise<DependencyManifest[]> {
  const extract = tarStream.extract();
  const piping = pipeline(normalizedTar, gunzipIfNeeded, extract);
  piping.catch(() => undefined); // awaited below; the loop may fail first
  const found: DependencyManifest[] = [];
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      const wanted = entry.header.type === 'file' && MANIFEST_SET.has(name);
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) if (wanted) chunks.push(chunk);
      if (wanted) found.push({ name, body: Buffer.concat(chunks) });
    }
  } catch (error) {
    normalizedTar.destroy();
    throw error;
  }
  await piping;
  return found;
}

/**
 * What goes into the build volume before the install: `app/` with the manifests, and the folders npm's
 * cache and temp files use (INSTALL_ENV), all owned by the build uid so npm can write next to them.
 */
export function installInputTar(manifests: DependencyManifest[]): Readable {
  const pack = tarStream.pack();
  const owned = { uid: BUILD_UID, gid: BUILD_UID, mtime: NORMALIZED_MTIME };
  void (async () => {
    for (const folder of ['app', 'app/node_modules', 'tmp', '.npm']) {
      await writeEntry(pack, { ...owned, name: `${folder}/`, type: 'directory', mode: 0o755 }, null);
    }
    for (const manifest of manifests) {
      await writeEntry(
        pack,
        { ...owned, name: `app/${manifest.name}`, type: 'file', mode: 0o644, size: manifest.body.length },
        [manifest.body],
      );
    }
  })().then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

const KEPT_TYPES = new Set(['file', 'directory', 'symlink', 'link']);

/** A path inside node_modules/ with no `..`, `.` or empty component. */
function isUnderNodeModules(name: string): boolean {
  const parts = name.replace(/\/$/, '').split('/');
  return parts[0] === 'node_modules' && parts.every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * The layer of the dependency image, its files under the image's `/app` (ContainerFilesCapability's
 * commitLayers): `app/`, then `app/node_modules/` as the install left it (`nodeModules`: the engine's tar of
 * /build/app/node_modules; `undefined` when there was none), owned by the app's uid, with a fixed mtime
 * and permission bits only (no setuid). Entries outside node_modules/, hardlinks whose target is outside
 * it, and devices or fifos (the tenant wrote this tar) are dropped. Symlinks are kept as they are: inside
 * the image they point where the tenant's install pointed them.
 */
export function dependencyLayerTar(options: { nodeModules: NodeJS.ReadableStream | undefined }): Readable {
  const pack = tarStream.pack();
  fillDependencyLayer(pack, options).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

async function fillDependencyLayer(
  pack: tarStream.Pack,
  options: { nodeModules: NodeJS.ReadableStream | undefined },
): Promise<void> {
  const fixed = { uid: APP_UID, gid: APP_UID, mtime: NORMALIZED_MTIME };
  await writeEntry(pack, appDirEntry(), null);
  await writeEntry(pack, { ...fixed, name: `${APP_DIR}node_modules/`, type: 'directory', mode: 0o755 }, null);
  if (!options.nodeModules) return;
  const source = options.nodeModules;
  const extract = tarStream.extract();
  const piping = pipeline(source, extract);
  piping.catch(() => undefined); // awaited below; the loop may fail first
  try {
    for await (const entry of extract) {
      const { name, type, mode, size, linkname } = entry.header;
      const body = entry as AsyncIterable<Buffer>;
      const kept =
        type !== undefined &&
        KEPT_TYPES.has(type) &&
        name.replace(/\/$/, '') !== 'node_modules' &&
        isUnderNodeModules(name) &&
        (type !== 'link' || (linkname !== undefined && linkname !== null && isUnderNodeModules(linkname)));
      if (!kept) {
        for await (const _chunk of body) {
          // dropped entry: drain it
        }
        continue;
      }
      const headers = {
        ...fixed,
        name: `${APP_DIR}${name}`,
        type,
        mode: (mode ?? 0o644) & 0o777,
        size,
        linkname: type === 'link' ? `${APP_DIR}${linkname}` : linkname,
      };
      await writeEntry(pack, headers, type === 'file' ? body : null);
    }
  } catch (error) {
    (source as Readable).destroy?.();
    throw error;
  }
  await piping;
}
