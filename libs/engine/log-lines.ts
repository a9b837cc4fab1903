import { BoundedLineSplitter, MAX_LINE_BYTES } from './bounded-lines.js';
import type { LogLine } from './container-engine.js';

type Stream = LogLine['stream'];

export type PendingLine = Pick<LogLine, 'stream' | 'timestamp'> & { cut: boolean };

/**
 * Turns the payloads of Docker's demultiplexed log frames (requested with timestamps) into lines.
 *
 * Each frame holds one log message: "<RFC3339Nano timestamp> <text>", where text ends with "\n" for a
 * complete line. A line longer than the log driver's buffer (16 KiB) arrives as several messages, every
 * one but the last without "\n" and each with its own timestamp: those are joined, keeping the first
 * timestamp. Bytes are joined before decoding, so a UTF-8 character split between messages survives
 * (drivers that keep bytes, e.g. `local`; json-file already turned such a split character into U+FFFD
 * when it wrote its file, so with json-file it arrives as one or two replacement characters).
 *
 * Tenant code decides where its newlines go, so a line is cut at `maxLineBytes` (BoundedLineSplitter):
 * the first part is emitted with a cut mark as soon as the budget is full, the rest is dropped up to the
 * next newline. Memory held here is constant: `maxLineBytes` per stream, two streams.
 */
export class LogLineAssembler {
  private readonly splitters: Record<Stream, BoundedLineSplitter<string>>;
  private lastMessageTimestamp: string | undefined;

  constructor(emit: (line: LogLine) => void, maxLineBytes = MAX_LINE_BYTES) {
    const splitter = (stream: Stream) =>
      new BoundedLineSplitter<string>((text, timestamp) => emit({ stream, timestamp, text }), maxLineBytes);
    this.splitters = { stdout: splitter('stdout'), stderr: splitter('stderr') };
  }

  /** One frame's payload. */
  push(stream: Stream, frame: Buffer): void {
    const space = frame.indexOf(0x20);
    if (space === -1) return; // a timestamp without text: nothing to add
    this.lastMessageTimestamp = frame.toString('latin1', 0, space);
    this.splitters[stream].push(frame.subarray(space + 1), this.lastMessageTimestamp);
  }

  /** At the end of the stream: the last line of each stream when it had no trailing newline. */
  flush(): void {
    this.splitters.stdout.end();
    this.splitters.stderr.end();
  }

  /**
   * The stream and first message's timestamp of each unfinished line (one per stream at most), and
   * whether it was already cut and given (only its end, up to the newline, is left to drop).
   */
  get pending(): PendingLine[] {
    return (['stdout', 'stderr'] as const).flatMap((stream) => {
      const splitter = this.splitters[stream];
      const timestamp = splitter.pendingTag;
      return timestamp === undefined ? [] : [{ stream, timestamp, cut: splitter.pendingCut }];
    });
  }

  /** The timestamp of the last message pushed. */
  get lastTimestamp(): string | undefined {
    return this.lastMessageTimestamp;
  }

  /** Bytes held for unfinished lines (at most `maxLineBytes` per stream). */
  get pendingBytes(): number {
    return this.splitters.stdout.pendingBytes + this.splitters.stderr.pendingBytes;
  }

  /** Bytes looked at so far, each once. */
  get bytesScanned(): number {
    return this.splitters.stdout.bytesScanned + this.splitters.stderr.bytesScanned;
  }
}
