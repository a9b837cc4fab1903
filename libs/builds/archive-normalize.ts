import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { ExpansionBudget, type RawEntry } from './archive-entry.js';
import { ArchiveRejectedError, rejected } from './archive-errors.js';
import { readArchiveEntries } from './archive-format.js';
import { normalizeEntryPath } from './archive-paths.js';
import type { ManifestEntry, SourceArchive } from './source-archive.js';

/**
 * Fixed mtime of every normalized entry (the one npm pack uses): the same source gives the same bytes
 * and the same sha256, and no tenant-chosen timestamp (future dates, 1970) reaches the builder.
 */
export const NORMALIZED_MTIME = new Date('1985-10-26T08:15:00Z');

type TarHeaders = Parameters<tarStream.Pack['entry']>[0];

/**
 * The normalized archive of an inspected upload, as a stream (tar.gz by default, plain tar with
 * `gzip: false`): only the manifest's kept files, folders and checked links, paths with the top-level
 * folder stripped, modes 0644/0755, uid/gid 0 with no user names, fixed mtime. It re-reads the spooled
 * file and replays it against the manifest: an entry that differs from what inspectSourceArchive saw,
 * or more bytes than it counted, fails the stream with 422 `corrupt_archive`/413 instead of being
 * written. This is what gets stored and later becomes the Docker build context.
 */
export function normalizedArchiveStream(options: {
  file: string;
  archive: SourceArchive;
  gzip?: boolean;
}): Readable {
  const { file, archive, gzip = true } = options;
  const pack = tarStream.pack();
  replay(file, archive, pack).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  const tar = Readable.from(pack);
  if (!gzip) return tar;
  const gzipped = createGzip();
  pipeline(tar, gzipped).catch(() => undefined); // an error destroys `gzipped`, which its reader sees
  return gzipped;
}

async function replay(file: string, archive: SourceArchive, pack: tarStream.Pack): Promise<void> {
  let index = 0;
  await readArchiveEntries({
    file,
    format: archive.format,
    budget: new ExpansionBudget(archive.expandedBytes),
    maxEntries: archive.manifest.length,
    visit: async (raw, body) => {
      const planned = archive.manifest[index++];
      if (!planned || !sameEntry(planned, raw)) throw changed();
      if (planned.kept) await writeEntry(pack, headersOf(planned), planned.kind === 'file' ? body : null);
    },
  });
  if (index !== archive.manifest.length) throw changed();
}

function sameEntry(planned: ManifestEntry, raw: RawEntry): boolean {
  let source: string;
  try {
    source = normalizeEntryPath(raw.name);
  } catch (error) {
    if (error instanceof ArchiveRejectedError) return false;
    throw error;
  }
  if (source !== planned.source || raw.kind !== planned.kind) return false;
  if (raw.kind === 'file') return raw.size === planned.size;
  if (raw.kind === 'symlink') return raw.linkname === planned.linkTarget;
  return true;
}

function changed(): ArchiveRejectedError {
  return rejected('corrupt_archive', 'The archive changed after it was inspected');
}

function headersOf(entry: ManifestEntry): TarHeaders {
  const common = { mode: entry.mode, uid: 0, gid: 0, uname: '', gname: '', mtime: NORMALIZED_MTIME };
  switch (entry.kind) {
    case 'directory':
      return { ...common, name: `${entry.path}/`, type: 'directory' };
    case 'symlink':
      return { ...common, name: entry.path, type: 'symlink', linkname: entry.linkTarget };
    case 'hardlink':
      return { ...common, name: entry.path, type: 'link', linkname: entry.linkTarget };
    case 'file':
      return { ...common, name: entry.path, type: 'file', size: entry.size };
  }
}

/**
 * Bodies declared this size or smaller are read whole and given to the pack as one buffer: a stream per
 * entry cost ~0.5 ms of CPU each, and node_modules has hundreds (express: 771 entries, 0.3-0.9 s repacked
 * through streams under load, 30-150 ms through buffers). Larger bodies stream, so memory stays bounded.
 */
export const WHOLE_BODY_MAX_BYTES = 1024 * 1024;

/** Adds one entry with its body; settles when the pack has taken all of it (or failed). */
export async function writeEntry(
  pack: tarStream.Pack,
  headers: TarHeaders,
  body: AsyncIterable<Buffer> | Iterable<Buffer> | null,
): Promise<void> {
  const size = headers.size;
  if (body !== null && size !== undefined && size <= WHOLE_BODY_MAX_BYTES) {
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of body) {
      read += chunk.length;
      // The stream path's check, before the bytes are kept: never more than the declared size in memory.
      if (read > size) throw new Error('Size mismatch');
      chunks.push(chunk);
    }
    if (read !== size) throw new Error('Size mismatch');
    return packEntry(pack, headers, Buffer.concat(chunks, size));
  }
  return new Promise<void>((resolve, reject) => {
    const sink = pack.entry(headers, (error) => (error ? reject(error) : resolve()));
    // Folders and links have no body: tar-stream completes them on its own.
    if (body !== null) pipeline(Readable.from(body), sink).catch(reject);
  });
}

function packEntry(pack: tarStream.Pack, headers: TarHeaders, body: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    pack.entry(headers, body, (error) => (error ? reject(error) : resolve())),
  );
}
