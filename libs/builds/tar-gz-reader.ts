import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { ArchiveRejectedError, rejected } from './archive-errors.js';
import { drain, type EntryKind, type EntryVisitor, type ExpansionBudget } from './archive-entry.js';

/** tar-stream's type names → Berth's kinds; everything else (devices, FIFOs, sparse files…) is refused. */
const KINDS: Record<string, EntryKind> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
};

/**
 * Streams a tar.gz: file → gunzip → byte budget → tar-stream extract, calling `visit` per entry in
 * order. The budget counts the whole decompressed tar stream (headers, padding and the zero blocks a
 * bomb may be made of), so it stops within one gunzip chunk of the limit. Rejections from the visitor
 * or the budget are rethrown as they are; any other failure (bad gzip data, truncated stream, bad tar
 * header checksum) becomes 422 `corrupt_archive`.
 */
export async function readTarGz(file: string, budget: ExpansionBudget, visit: EntryVisitor): Promise<void> {
  const extract = tarStream.extract();
  let failure: unknown;
  const piping = pipeline(
    createReadStream(file),
    createGunzip(),
    (chunks: AsyncIterable<Buffer>) => budget.count(chunks),
    extract,
  ).catch((error: unknown) => {
    failure ??= error;
  });
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const type = header.type ?? 'unknown';
      const kind = KINDS[type] ?? 'unsupported';
      const raw = {
        name: header.name,
        kind,
        rawType: type,
        linkname: header.linkname ?? undefined,
        mode: header.mode ?? 0,
        size: header.size ?? 0,
      };
      const body = entry as AsyncIterable<Buffer>; // tar-stream yields Buffers
      await visit(raw, kind === 'file' ? body : null);
      await drain(body);
    }
  } catch (error) {
    failure ??= error;
    extract.destroy();
  }
  await piping;
  if (failure === undefined) return;
  throw budget.error ?? asRejection(failure);
}

function asRejection(error: unknown): ArchiveRejectedError {
  if (error instanceof ArchiveRejectedError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return rejected('corrupt_archive', `The tar.gz archive is corrupt or truncated: ${why}`);
}
