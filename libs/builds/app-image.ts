import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import type { ImageRunConfig } from '../engine/index.js';
import { NORMALIZED_MTIME, writeEntry } from './archive-normalize.js';
import { gunzipIfNeeded } from './dockerfile.js';
import { safeMainPath, type StartCommand } from './package-json.js';

/** uid/gid of the `app` user of the runtime image: tenant code runs as it and owns the app's files. */
export const APP_UID = 10001;
/** The PORT contract: the app listens on $PORT; the platform also passes PORT when it runs a replica. */
export const APP_PORT = 8080;
/** The app's folder as a layer names it (layers hold paths from the image's root). */
export const APP_DIR = 'app/';

/**
 * `/app` as the runtime image has it (uid 10001, 0755): each layer names it first, or the Engine would
 * create it root's when it applies the layer's files beneath it.
 */
export function appDirEntry() {
  return {
    name: APP_DIR,
    type: 'directory' as const,
    mode: 0o755,
    uid: APP_UID,
    gid: APP_UID,
    mtime: NORMALIZED_MTIME,
  };
}

export interface AppImageInput {
  start: StartCommand;
  /** package.json engines.node, checked against the runtime (a warning, never a failure). */
  nodeEnginesRange?: string;
  /** Node.js version of the base image, e.g. "20.20.2". */
  runtimeNodeVersion: string;
}

/**
 * What a tenant app's image runs, on top of its dependency image: uid 10001 in /app, NODE_ENV=production,
 * PORT=8080, npm's cache and HOME in /tmp (the root filesystem is read-only at run time), the machine's
 * CA bundle, and `npm start` or `node <main>`. Pure: same input, same config.
 */
export function appImageConfig(input: AppImageInput): { config: ImageRunConfig; warnings: string[] } {
  const config: ImageRunConfig = {
    env: [
      'NODE_ENV=production',
      `PORT=${APP_PORT}`,
      'HOME=/tmp',
      'npm_config_cache=/tmp/.npm',
      'npm_config_update_notifier=false',
      'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    ],
    workingDir: '/app',
    user: String(APP_UID),
    exposedPorts: [`${APP_PORT}/tcp`],
    cmd: commandOf(input.start),
  };
  const warnings: string[] = [];
  const engines = enginesWarning(input.nodeEnginesRange, input.runtimeNodeVersion);
  if (engines) warnings.push(engines);
  return { config, warnings };
}

function commandOf(start: StartCommand): string[] {
  if (start.kind === 'script') return ['npm', 'start'];
  const main = safeMainPath(start.main);
  if (main === undefined) throw new Error(`unsafe main ${JSON.stringify(start.main)}`);
  return ['node', main];
}

interface Semver {
  validRange(range: string): string | null;
  satisfies(version: string, range: string): boolean;
}
const semver = createRequire(import.meta.url)('semver') as Semver;

/** A warning when package.json's engines.node does not include the runtime's version (never a failure). */
export function enginesWarning(range: string | undefined, runtimeVersion: string): string | undefined {
  if (range === undefined || range.trim() === '') return undefined;
  const shown = JSON.stringify(range.length > 100 ? `${range.slice(0, 97)}...` : range);
  const valid = semver.validRange(range);
  if (valid === null) return `engines.node ${shown} is not a valid version range; it was not checked`;
  if (semver.satisfies(runtimeVersion, valid)) return undefined;
  return `engines.node ${shown} does not include the runtime's Node.js ${runtimeVersion}; building anyway`;
}

/** Left out at the root: a tenant's build files are not the app's (as before, when a builder read them). */
const ROOT_LEFT_OUT = new Set(['Dockerfile', '.dockerignore']);
/** Left out at any depth: the installed node_modules come from the dependency image; VCS data is not code. */
const ANY_DEPTH_LEFT_OUT = new Set(['node_modules', '.git']);
const KEPT_TYPES = new Set(['file', 'directory', 'symlink', 'link']);

/** The source path without `./`, or undefined when the app's image leaves it out. */
function keptName(name: string): string | undefined {
  const path = name.replace(/^(\.\/)+/, '').replace(/\/$/, '');
  if (path === '' || path === '.') return undefined;
  const parts = path.split('/');
  if (parts.length === 1 && ROOT_LEFT_OUT.has(parts[0]!)) return undefined;
  if (parts.some((part) => ANY_DEPTH_LEFT_OUT.has(part))) return undefined;
  return path;
}

/**
 * The app's layer, its files under the image's /app (ContainerFilesCapability's commitLayers): the stored
 * normalized source (tar or tar.gz) as uploaded, owned by uid 10001, without the root Dockerfile and
 * .dockerignore and without any node_modules or .git folder. A hardlink whose target was left out is
 * left out too (it could not be extracted).
 */
export function appLayerTar(options: { normalizedTar: Readable }): Readable {
  const pack = tarStream.pack();
  fillAppLayer(pack, options.normalizedTar).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

async function fillAppLayer(pack: tarStream.Pack, source: Readable): Promise<void> {
  const extract = tarStream.extract();
  const piping = pipeline(source, gunzipIfNeeded, extract);
  piping.catch(() => undefined); // awaited below; the loop may fail first
  const written = new Set<string>();
  await writeEntry(pack, appDirEntry(), null);
  try {
    for await (const entry of extract) {
      const { type, mode, size, mtime } = entry.header;
      const body = entry as AsyncIterable<Buffer>;
      const name = keptName(entry.header.name);
      const linkTarget =
        type === 'link' ? keptName(entry.header.linkname ?? '') : (entry.header.linkname ?? undefined);
      const kept =
        name !== undefined &&
        type !== undefined &&
        KEPT_TYPES.has(type) &&
        (type !== 'link' || (linkTarget !== undefined && written.has(linkTarget)));
      if (!kept) {
        for await (const _chunk of body) {
          // left out: drain it
        }
        continue;
      }
      const headers = {
        name: `${APP_DIR}${name}${type === 'directory' ? '/' : ''}`,
        type,
        mode: (mode ?? 0o644) & 0o777,
        size,
        linkname: type === 'link' ? `${APP_DIR}${linkTarget}` : linkTarget,
        uid: APP_UID,
        gid: APP_UID,
        mtime,
      };
      await writeEntry(pack, headers, type === 'file' ? body : null);
      written.add(name);
    }
  } catch (error) {
    source.destroy();
    throw error;
  }
  await piping;
}
