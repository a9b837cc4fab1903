import { rejected } from './archive-errors.js';
import { parentOf, quote } from './archive-paths.js';

/** Symlink hops followed while resolving one path, as Linux does (ELOOP after 40). */
const MAX_HOPS = 40;
/** Path components walked over all symlinks of one archive: bounds the CPU a hostile tree can cost. */
const MAX_STEPS = 1_000_000;

export interface TreeEntry {
  /** Root-relative path after prefix stripping. */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** Symlink: target as stored (relative to the link's folder). Hardlink: root-relative path. */
  linkTarget?: string;
}

/**
 * Checks the links of a complete archive tree against its (prefix-stripped) root, the way a kernel
 * would resolve them after extraction, so that neither extraction nor a later `COPY` can reach outside:
 * - no entry may sit below a symlink (`evil -> /etc` then `evil/passwd` writes through the link) or
 *   below a regular file;
 * - every symlink must resolve inside the root when followed through all the other symlinks (a chain
 *   such as `a/up -> ..` then `a/up/x -> ..` escapes even though each hop looks inside on its own), and
 *   must not loop;
 * - every hardlink must name a regular file of the archive.
 * Throws 422 `unsafe_link` (or `unsafe_path` for a file used as a folder).
 */
export function checkTree(entries: readonly TreeEntry[]): void {
  const kinds = new Map<string, TreeEntry['kind']>();
  const symlinks = new Map<string, string>();
  const budget = { steps: MAX_STEPS };
  for (const entry of entries) {
    kinds.set(entry.path, entry.kind);
    if (entry.kind === 'symlink' && entry.linkTarget !== undefined)
      symlinks.set(entry.path, entry.linkTarget);
  }
  for (const entry of entries) {
    for (let above = parentOf(entry.path); above !== ''; above = parentOf(above)) {
      const kind = kinds.get(above);
      if (kind === 'symlink') {
        throw rejected(
          'unsafe_link',
          `Entry ${quote(entry.path)} is placed through the symlink ${quote(above)}`,
        );
      }
      if (kind === 'file' || kind === 'hardlink') {
        throw rejected('unsafe_path', `Entry ${quote(entry.path)} is placed below the file ${quote(above)}`);
      }
    }
    if (entry.kind === 'symlink' && entry.linkTarget !== undefined) {
      const from = parentOf(entry.path);
      const problem = resolveInside(`${from}/${entry.linkTarget}`, symlinks, budget);
      if (problem) {
        throw rejected(
          'unsafe_link',
          `Symlink ${quote(entry.path)} -> ${quote(entry.linkTarget)} ${problem}`,
        );
      }
    }
    if (entry.kind === 'hardlink' && kinds.get(entry.linkTarget ?? '') !== 'file') {
      throw rejected('unsafe_link', `Hardlink ${quote(entry.path)} does not point to a file of the archive`);
    }
  }
}

/**
 * Resolves a root-relative path component by component through `symlinks` (physical `..` semantics,
 * as the kernel does). Returns why it is unsafe, or `undefined` when it stays inside the root.
 */
export function resolveInside(
  path: string,
  symlinks: ReadonlyMap<string, string>,
  budget = { steps: MAX_STEPS },
): string | undefined {
  const pending = path.split('/');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (--budget.steps < 0) return 'cannot be verified: the links are too deep or too many';
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return 'resolves outside the archive root';
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const target = symlinks.get(resolved.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_HOPS) return 'is part of a symlink loop';
    if (target.startsWith('/')) return 'resolves to an absolute path';
    resolved.pop();
    pending.unshift(...target.split('/'));
  }
  return undefined;
}
