import { rejected } from './archive-errors.js';

/** Longest entry path and path component Berth accepts (Linux PATH_MAX / NAME_MAX). */
const MAX_PATH_BYTES = 4096;
const MAX_COMPONENT_BYTES = 255;
/** Control characters (NUL included) are never part of a legitimate source path. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A quoted, shortened name for problem details: never echo megabytes of hostile input. */
export function quote(value: string): string {
  const shown = value.length > 120 ? `${value.slice(0, 117)}...` : value;
  return JSON.stringify(shown);
}

/**
 * Turns an archive entry name into a clean root-relative path (`a/b/c`, no `.` or empty segments, no
 * trailing slash); `''` is the root itself (`./`). Throws 422 `unsafe_path` for anything that could land
 * outside the root or be read differently by another tool: absolute or drive-letter paths, `..`
 * segments, backslashes (a separator on Windows, so `..\\x` is a traversal there), NUL and other
 * control characters, over-long names.
 */
export function normalizeEntryPath(name: string): string {
  const refuse = (why: string) => rejected('unsafe_path', `Entry ${quote(name)} ${why}`);
  if (CONTROL_CHARS.test(name)) throw refuse('contains a control character');
  if (name.includes('\\')) throw refuse('contains a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw refuse('is an absolute path');
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) throw refuse('is too long');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw refuse('contains a ".." segment');
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES) throw refuse('has a component that is too long');
    parts.push(part);
  }
  return parts.join('/');
}

/**
 * Checks a symlink target on its own (the full resolution against the other links happens once every
 * entry is known, see archive-links.ts). Throws 422 `unsafe_link`.
 */
export function checkSymlinkTarget(path: string, target: string): void {
  const refuse = (why: string) => rejected('unsafe_link', `Symlink ${quote(path)} ${why}`);
  if (target === '') throw refuse('has an empty target');
  if (CONTROL_CHARS.test(target) || target.includes('\\'))
    throw refuse(`has an unsafe target ${quote(target)}`);
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) {
    throw refuse(`points to the absolute path ${quote(target)}`);
  }
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) throw refuse('has a target that is too long');
}

/** `a/b/c` → `a/b`; `a` → `''`. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** `a/b/c` → `a`. */
export function topOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash);
}

/** Removes `prefix/` from `path` (the single top-level folder of a GitHub-style tarball). */
export function stripPrefix(path: string, prefix: string | undefined): string {
  if (prefix === undefined) return path;
  if (path === prefix) return '';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : path;
}

/**
 * Folders left out of the stored source: `node_modules` (dependencies are installed inside the image
 * build by `npm ci`/`npm install` for the image's platform; uploaded ones may hold native binaries built
 * for another OS and only bloat the upload) and `.git` (history is not needed to run and may hold
 * secrets), at any depth.
 */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

/** Whether a (prefix-stripped) path is left out of the normalized archive. */
export function isSkippedPath(path: string): boolean {
  return path.split('/').some((part) => SKIPPED_FOLDERS.has(part));
}

/** macOS Finder adds a `__MACOSX/` folder of resource forks to every zip it makes; it is never source. */
export const MACOS_METADATA_FOLDER = '__MACOSX';

/** Modes in the normalized archive: no setuid/setgid/sticky, no group/world write. */
export function sanitizedMode(kind: 'file' | 'directory' | 'symlink' | 'hardlink', mode: number): number {
  if (kind === 'directory') return 0o755;
  if (kind === 'symlink') return 0o777;
  return mode & 0o111 ? 0o755 : 0o644;
}
