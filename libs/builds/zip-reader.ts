import yauzl from 'yauzl';
import { ArchiveRejectedError, rejected } from './archive-errors.js';
import { quote } from './archive-paths.js';
import {
  drain,
  readCapped,
  type EntryKind,
  type EntryVisitor,
  type ExpansionBudget,
  type RawEntry,
} from './archive-entry.js';

const S_IFMT = 0o170000;
const UNIX_TYPES: Record<number, { kind: EntryKind; rawType: string }> = {
  0o100000: { kind: 'file', rawType: 'file' },
  0o040000: { kind: 'directory', rawType: 'directory' },
  0o120000: { kind: 'symlink', rawType: 'symlink' },
  0o010000: { kind: 'unsupported', rawType: 'fifo' },
  0o020000: { kind: 'unsupported', rawType: 'character-device' },
  0o060000: { kind: 'unsupported', rawType: 'block-device' },
  0o140000: { kind: 'unsupported', rawType: 'socket' },
};
/** "Version made by" hosts whose external attributes hold a Unix st_mode: Unix (3) and OS X (19). */
const UNIX_HOSTS = new Set([3, 19]);
const MAX_SYMLINK_TARGET_BYTES = 4096;
/** Messages of yauzl's `strictFileNames` checks: a hostile name, not a corrupt file. */
const UNSAFE_NAME = /^(invalid characters in fileName|absolute path|invalid relative path)/;

/**
 * Streams a zip with yauzl (`lazyEntries`: one entry at a time; `validateEntrySizes`: a body longer or
 * shorter than its header is an error; `strictFileNames`: backslashes, absolute and `..` names are
 * errors instead of being silently rewritten). The entry count and the declared sizes of the central
 * directory are checked before any inflating; real inflated bytes go through the budget as well.
 */
export async function readZip(
  file: string,
  budget: ExpansionBudget,
  maxEntries: number,
  visit: EntryVisitor,
): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      validateEntrySizes: true,
      strictFileNames: true,
      decodeStrings: true,
      autoClose: false,
    });
  } catch (error) {
    throw asRejection(error);
  }
  zip.on('error', () => undefined); // errors are taken per step in nextEntry()
  try {
    if (zip.entryCount > maxEntries) {
      throw rejected('too_many_entries', `The archive has ${zip.entryCount} entries; at most ${maxEntries}`);
    }
    let declared = 0;
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      declared += entry.uncompressedSize;
      budget.checkDeclared(declared);
      const raw = describe(entry);
      if (raw.kind !== 'file' && raw.kind !== 'symlink') {
        await visit(raw, null);
        continue;
      }
      if (entry.isEncrypted() || !entry.canDecodeFileData()) {
        throw rejected(
          'unsupported_entry',
          `Entry ${quote(raw.name)} is encrypted or uses an unknown compression`,
        );
      }
      const body = budget.count(await zip.openReadStreamPromise(entry));
      if (raw.kind === 'symlink') {
        const target = await readCapped(body, MAX_SYMLINK_TARGET_BYTES);
        await visit({ ...raw, linkname: target.toString('utf8') }, null);
      } else {
        await visit(raw, body);
        await drain(body);
      }
    }
  } catch (error) {
    throw budget.error ?? asRejection(error);
  } finally {
    zip.close();
  }
}

function describe(entry: yauzl.Entry): RawEntry {
  const unixMode = UNIX_HOSTS.has(entry.versionMadeBy >> 8) ? entry.externalFileAttributes >>> 16 : 0;
  const byMode = UNIX_TYPES[unixMode & S_IFMT];
  const base = { name: entry.fileName, mode: unixMode & 0o7777, size: entry.uncompressedSize };
  if (entry.fileName.endsWith('/')) return { ...base, kind: 'directory', rawType: 'directory' };
  if (byMode) return { ...base, ...byMode };
  if ((unixMode & S_IFMT) === 0) return { ...base, kind: 'file', rawType: 'file' };
  return { ...base, kind: 'unsupported', rawType: `unknown (mode ${(unixMode & S_IFMT).toString(8)})` };
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => (done(), resolve(entry));
    const onEnd = () => (done(), resolve(null));
    const onError = (error: Error) => (done(), reject(error));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function asRejection(error: unknown): ArchiveRejectedError {
  if (error instanceof ArchiveRejectedError) return error;
  const why = error instanceof Error ? error.message : String(error);
  if (UNSAFE_NAME.test(why)) return rejected('unsafe_path', `Entry name refused: ${why.slice(0, 200)}`);
  return rejected('corrupt_archive', `The zip archive is corrupt or truncated: ${why.slice(0, 200)}`);
}
