import { readCapped, type RawEntry, ExpansionBudget } from './archive-entry.js';
import { ArchiveRejectedError, rejected } from './archive-errors.js';
import { detectArchiveFormat, readArchiveEntries } from './archive-format.js';
import { checkTree } from './archive-links.js';
import {
  checkSymlinkTarget,
  isSkippedPath,
  MACOS_METADATA_FOLDER,
  normalizeEntryPath,
  quote,
  sanitizedMode,
  stripPrefix,
  topOf,
} from './archive-paths.js';
import { DEFAULT_MAX_PACKAGE_JSON_BYTES, parsePackageJson, startCommandOf } from './package-json.js';
import type { IntakeLimits, ManifestEntry, SourceArchive } from './source-archive.js';

export { detectArchiveFormat } from './archive-format.js';
export { normalizedArchiveStream } from './archive-normalize.js';
export { ArchiveRejectedError } from './archive-errors.js';
export type { IntakeLimits, ManifestEntry, SourceArchive } from './source-archive.js';

const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

/**
 * Validates a spooled upload while streaming it once, and returns what the build needs. Nothing is
 * extracted to disk. Every refusal is an ArchiveRejectedError (413 or 422 with a stable `code`):
 * unsupported format, corrupt data, unsafe paths or links, devices/FIFOs/sockets, too many entries,
 * too many expanded bytes (stopped as soon as the limit passes), no/invalid package.json, no start command.
 * Links inside the root are kept (see README.md: an app may ship `bin/cli -> ../lib/cli.js`);
 * every one is resolved against the final root first, so none can escape.
 */
export async function inspectSourceArchive(options: {
  file: string;
  limits: IntakeLimits;
}): Promise<SourceArchive> {
  const { file, limits } = options;
  const format = await detectArchiveFormat(file);
  const budget = new ExpansionBudget(limits.maxExpandedBytes);
  const maxPackageJsonBytes = limits.maxPackageJsonBytes ?? DEFAULT_MAX_PACKAGE_JSON_BYTES;
  const seen = new Map<string, ManifestEntry['kind']>();
  const collected: ManifestEntry[] = [];
  const packageJsons = new Map<string, Buffer>();

  await readArchiveEntries({
    file,
    format,
    budget,
    maxEntries: limits.maxEntries,
    visit: async (raw, body) => {
      const entry = checkEntry(raw, seen);
      if (body && entry.kind === 'file' && isPackageJsonCandidate(entry.source, packageJsons)) {
        packageJsons.set(entry.source, await readCapped(body, maxPackageJsonBytes));
      }
      collected.push(entry);
    },
  });

  const prefix = singleTopFolder(collected);
  const manifest = dropDanglingHardlinks(collected.map((entry) => placed(entry, prefix)));
  checkTree(manifest.filter((entry) => entry.path !== ''));

  const root = manifest.find((entry) => entry.path === 'package.json');
  if (!root) {
    const where = prefix === undefined ? 'at the archive root' : `in the top-level folder ${quote(prefix)}`;
    throw rejected('no_package_json', `No package.json ${where}`);
  }
  if (root.kind !== 'file') throw rejected('no_package_json', 'package.json must be a regular file');
  const packageJson = parsePackageJson(packageJsons.get(root.source) ?? Buffer.alloc(0), maxPackageJsonBytes);
  return {
    format,
    entries: collected.length,
    expandedBytes: budget.bytes,
    packageJson,
    start: startCommandOf(packageJson),
    hasLockfile: manifest.some((entry) => entry.kind === 'file' && LOCKFILES.has(entry.path)),
    ...(prefix === undefined ? {} : { stripPrefix: prefix }),
    manifest,
  };
}

/** Per-entry checks, in archive order (hardlinks must name a file seen before them, as tar requires). */
function checkEntry(raw: RawEntry, seen: Map<string, ManifestEntry['kind']>): ManifestEntry {
  const source = normalizeEntryPath(raw.name);
  if (raw.kind === 'unsupported') {
    throw rejected(
      'unsupported_entry',
      `Entry ${quote(raw.name)} is a ${raw.rawType}; only files, folders and links`,
    );
  }
  const kind = raw.kind;
  if (source === '' && kind !== 'directory')
    throw rejected('unsafe_path', `Entry ${quote(raw.name)} names the root`);
  const before = seen.get(source);
  if (before !== undefined && !(before === 'directory' && kind === 'directory')) {
    throw rejected('unsafe_path', `Entry ${quote(source)} appears more than once`);
  }
  let linkTarget: string | undefined;
  if (kind === 'symlink') {
    linkTarget = raw.linkname ?? '';
    checkSymlinkTarget(source, linkTarget);
  } else if (kind === 'hardlink') {
    linkTarget = hardlinkTarget(source, raw.linkname ?? '', seen);
  }
  seen.set(source, kind);
  const size = kind === 'file' ? raw.size : 0;
  return { source, path: source, kind, size, mode: sanitizedMode(kind, raw.mode), linkTarget, kept: true };
}

function hardlinkTarget(source: string, linkname: string, seen: Map<string, ManifestEntry['kind']>): string {
  let target: string;
  try {
    target = normalizeEntryPath(linkname);
  } catch (error) {
    if (!(error instanceof ArchiveRejectedError)) throw error;
    throw rejected('unsafe_link', `Hardlink ${quote(source)} points outside the archive: ${error.detail}`);
  }
  if (seen.get(target) !== 'file') {
    throw rejected(
      'unsafe_link',
      `Hardlink ${quote(source)} points to ${quote(linkname)}, not a file seen before it`,
    );
  }
  return target;
}

/** `package.json` at the root, or one folder down while a single top-level folder is still possible. */
function isPackageJsonCandidate(path: string, found: Map<string, Buffer>): boolean {
  if (path === 'package.json') return true;
  const parts = path.split('/');
  if (parts.length !== 2 || parts[1] !== 'package.json') return false;
  return [...found.keys()].every((other) => other === 'package.json' || topOf(other) === parts[0]);
}

/**
 * The folder every entry lives in when the root has no package.json (`project-main/` of a GitHub
 * tarball), so it can be stripped. macOS `__MACOSX/` metadata is ignored here and dropped later.
 */
function singleTopFolder(entries: readonly ManifestEntry[]): string | undefined {
  if (entries.some((entry) => entry.source === 'package.json')) return undefined;
  let top: string | undefined;
  for (const entry of entries) {
    if (entry.source === '') continue;
    const first = topOf(entry.source);
    if (first === MACOS_METADATA_FOLDER) continue;
    if (entry.source === first && entry.kind !== 'directory') return undefined;
    if (top !== undefined && top !== first) return undefined;
    top = first;
  }
  return top === undefined || isSkippedPath(top) ? undefined : top;
}

/** Where an entry lands in the normalized archive, and whether it is kept there. */
function placed(entry: ManifestEntry, prefix: string | undefined): ManifestEntry {
  const path = stripPrefix(entry.source, prefix);
  const linkTarget =
    entry.kind === 'hardlink' ? stripPrefix(entry.linkTarget ?? '', prefix) : entry.linkTarget;
  const kept = path !== '' && topOf(entry.source) !== MACOS_METADATA_FOLDER && !isSkippedPath(path);
  return { ...entry, path, linkTarget, kept };
}

/** A kept hardlink to a file that is left out (e.g. into node_modules) would dangle: leave it out too. */
function dropDanglingHardlinks(manifest: ManifestEntry[]): ManifestEntry[] {
  const keptFiles = new Set(manifest.filter((e) => e.kept && e.kind === 'file').map((e) => e.path));
  return manifest.map((entry) =>
    entry.kind === 'hardlink' && entry.kept && !keptFiles.has(entry.linkTarget ?? '')
      ? { ...entry, kept: false }
      : entry,
  );
}
