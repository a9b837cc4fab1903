import type { ArchiveFormat } from './archive-entry.js';
import type { PackageJsonInfo, StartCommand } from './package-json.js';

/** Limits an upload is checked against (from the tenant's plan and the platform config). */
export interface IntakeLimits {
  /** Entries in the archive, all kinds, node_modules included. */
  maxEntries: number;
  /** Decompressed bytes, counted as they stream. */
  maxExpandedBytes: number;
  /** package.json size cap; default 1 MiB. */
  maxPackageJsonBytes?: number;
}

/** One entry of the upload, validated, and where it goes in the normalized archive. */
export interface ManifestEntry {
  /** Name in the upload after normalizeEntryPath (before prefix stripping); `''` for `./`. */
  source: string;
  /** Path in the normalized archive; `''` for the root or the stripped top-level folder itself. */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** Body bytes of a regular file; 0 otherwise. */
  size: number;
  /** Sanitized mode: files 0644 or 0755, folders 0755. */
  mode: number;
  /** Symlink: target (relative, checked). Hardlink: normalized path of the file it names. */
  linkTarget?: string;
  /** False when left out: node_modules, .git, __MACOSX, the root and the stripped folder. */
  kept: boolean;
}

/** What inspectSourceArchive learned about a valid upload. */
export interface SourceArchive {
  format: ArchiveFormat;
  /** Entries in the upload. */
  entries: number;
  /** Decompressed bytes read (tar.gz: the whole tar stream; zip: inflated bodies). */
  expandedBytes: number;
  packageJson: PackageJsonInfo;
  start: StartCommand;
  /** package-lock.json or npm-shrinkwrap.json at the (stripped) root. */
  hasLockfile: boolean;
  /** The single top-level folder removed from every path (GitHub-style tarballs). */
  stripPrefix?: string;
  /** Every entry in archive order; normalizedArchiveStream replays the upload against it. */
  manifest: ManifestEntry[];
}
