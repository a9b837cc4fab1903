/** A line of tenant output is cut at this many bytes, never assembled without limit. */
export const MAX_LINE_BYTES = 16 * 1024;

/** Ends a cut line (inside its byte budget), so readers see that the rest was dropped. */
export function cutMark(maxLineBytes: number): string {
  return ` [truncated, line longer than ${maxLineBytes} bytes]`;
}

/**
 * Splits a byte stream into lines (without "\n") and cuts each at `maxLineBytes`, in linear time and
 * constant memory: bytes are copied once into one fixed buffer of `maxLineBytes` (never kept as slices,
 * which would pin the caller's chunks), and a newline is only searched for in the chunk just pushed.
 *
 * A line that outgrows the budget is emitted at once, cut on a UTF-8 character boundary and ended with
 * `cutMark()` so that the whole text stays within `maxLineBytes` bytes (libs/logs' limitTextBytes then
 * leaves it as it is; invalid UTF-8 decodes to U+FFFD, three bytes for one, which that second guard
 * cuts again); the rest of it is dropped up to the next newline. Whole lines are decoded in one
 * piece, so a character split between chunks survives.
 *
 * Each chunk may carry a tag (e.g. the timestamp of a log record): a line is reported with the tag of
 * the chunk that held its first byte.
 */
export class BoundedLineSplitter<Tag = undefined> {
  private scanned = 0;
  private readonly pending: Buffer;
  private length = 0;
  /** Inside a line that was already cut and emitted: bytes are dropped until the next newline. */
  private dropping = false;
  private atLineStart = true;
  private lineTag: Tag | undefined;
  private readonly mark: string;
  private readonly markBytes: number;

  constructor(
    private readonly onLine: (text: string, tag: Tag, cut: boolean) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {
    this.mark = cutMark(maxLineBytes);
    this.markBytes = Buffer.byteLength(this.mark);
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < this.markBytes + 4)
      throw new RangeError(`maxLineBytes must be an integer of at least ${this.markBytes + 4}`);
    this.pending = Buffer.allocUnsafe(maxLineBytes);
  }

  /** Bytes looked at so far: each pushed byte once (tests assert on it: the work is linear). */
  get bytesScanned(): number {
    return this.scanned;
  }

  /** The tag of the line in progress (its first chunk's), or undefined between lines. */
  get pendingTag(): Tag | undefined {
    return this.atLineStart ? undefined : this.lineTag;
  }

  /** Whether the line in progress was already cut and given (its rest is being dropped). */
  get pendingCut(): boolean {
    return !this.atLineStart && this.dropping;
  }

  /** Bytes held for the line in progress (at most `maxLineBytes`). */
  get pendingBytes(): number {
    return this.length;
  }

  push(chunk: Buffer, tag?: Tag): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.atLineStart) {
        this.lineTag = tag;
        this.atLineStart = false;
      }
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.scanned += (newline === -1 ? end : end + 1) - start;
      if (!this.dropping) this.append(chunk, start, end);
      if (newline === -1) return;
      if (!this.dropping) this.emit(this.length, false);
      this.reset();
      start = newline + 1;
    }
  }

  /** At the end of the stream: the last line when it had no newline (and was not already cut). */
  end(): void {
    if (!this.atLineStart && !this.dropping) this.emit(this.length, false);
    this.reset();
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const room = this.maxLineBytes - this.length;
    if (end - start <= room) {
      this.length += chunk.copy(this.pending, this.length, start, end);
      return;
    }
    // One byte past the budget is known to exist, so the full buffer holds the character at the cut.
    this.length += chunk.copy(this.pending, this.length, start, start + room);
    let cut = this.maxLineBytes - this.markBytes;
    while (cut > 0 && (this.pending[cut] & 0xc0) === 0x80) cut--; // back to a character's first byte
    this.emit(cut, true);
    this.length = 0;
    this.dropping = true;
  }

  private emit(bytes: number, cut: boolean): void {
    const text = this.pending.toString('utf8', 0, bytes);
    this.onLine(cut ? text + this.mark : text, this.lineTag as Tag, cut);
  }

  private reset(): void {
    this.length = 0;
    this.dropping = false;
    this.atLineStart = true;
    this.lineTag = undefined;
  }
}
