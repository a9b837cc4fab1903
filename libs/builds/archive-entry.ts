import { ArchiveRejectedError } from './archive-errors.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

/** What an entry is, format-independent. `unsupported` carries the raw type in `rawType`. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'unsupported';

/** One entry as a reader reports it, before any validation. */
export interface RawEntry {
  /** Name exactly as stored in the archive. */
  name: string;
  kind: EntryKind;
  /** e.g. `character-device`, `fifo`, `socket`: for error details. */
  rawType: string;
  /** Symlink target, or the archive path a hardlink refers to. */
  linkname?: string;
  mode: number;
  /** Body size as declared by the archive (the readers enforce it against the real stream). */
  size: number;
}

/**
 * Called once per entry, in archive order. `body` is set for regular files and symlinks (a zip stores
 * the link target as the body); the visitor may read it, and the reader drains what is left, so the
 * next entry never starts before this one is consumed.
 */
export type EntryVisitor = (entry: RawEntry, body: AsyncIterable<Buffer> | null) => Promise<void>;

/**
 * Counts real decompressed bytes as they stream (headers claim what they like) and fails the moment
 * the total passes the limit, so a decompression bomb costs at most the limit plus one chunk.
 */
export class ExpansionBudget {
  private used = 0;
  /** First refusal; readers prefer it over the stream errors it causes while tearing down. */
  error: ArchiveRejectedError | undefined;

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used;
  }

  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) throw this.refuse();
  }

  /** Refuses early when sizes declared by the archive (zip central directory) already pass the limit. */
  checkDeclared(declaredTotal: number): void {
    if (declaredTotal > this.limit) throw this.refuse();
  }

  private refuse(): ArchiveRejectedError {
    this.error ??= new ArchiveRejectedError(
      413,
      'archive_too_large_expanded',
      `The archive expands to more than ${this.limit} bytes`,
      { limitBytes: this.limit, expandedBytesRead: this.used },
    );
    return this.error;
  }

  /** `source` with every chunk counted. */
  async *count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      this.take(chunk.length);
      yield chunk;
    }
  }
}

/** Reads a whole body (always to its end, so the archive stream moves on) keeping at most `cap` + 1 bytes. */
export async function readCapped(body: AsyncIterable<Buffer>, cap: number): Promise<Buffer> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  for await (const chunk of body) {
    if (keptBytes > cap) continue;
    const piece = chunk.subarray(0, cap + 1 - keptBytes);
    kept.push(piece);
    keptBytes += piece.length;
  }
  return Buffer.concat(kept);
}

/** Consumes what is left of a body. */
export async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _chunk of body) {
    // discard
  }
}
