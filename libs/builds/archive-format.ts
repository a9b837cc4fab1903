import { open } from 'node:fs/promises';
import { rejected } from './archive-errors.js';
import type { ArchiveFormat, EntryVisitor, ExpansionBudget } from './archive-entry.js';
import { readTarGz } from './tar-gz-reader.js';
import { readZip } from './zip-reader.js';

/**
 * The format by magic bytes, never by file name or Content-Type: gzip (1f 8b) is read as tar.gz, a zip
 * local header (PK 03 04) or an empty zip (PK 05 06) as zip. Anything else is 422 `unsupported_archive`.
 */
export async function detectArchiveFormat(file: string): Promise<ArchiveFormat> {
  const handle = await open(file, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  ) {
    return 'zip';
  }
  throw rejected('unsupported_archive', 'The upload is neither a tar.gz nor a zip archive');
}

/** Streams the entries of either format in order, refusing the one past `maxEntries` at once. */
export async function readArchiveEntries(options: {
  file: string;
  format: ArchiveFormat;
  budget: ExpansionBudget;
  maxEntries: number;
  visit: EntryVisitor;
}): Promise<void> {
  const { file, format, budget, maxEntries } = options;
  let seen = 0;
  const visit: EntryVisitor = async (entry, body) => {
    if (++seen > maxEntries)
      throw rejected('too_many_entries', `The archive has more than ${maxEntries} entries`);
    await options.visit(entry, body);
  };
  if (format === 'zip') await readZip(file, budget, maxEntries, visit);
  else await readTarGz(file, budget, visit);
}
