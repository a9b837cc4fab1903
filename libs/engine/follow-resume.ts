import type { LogLine } from './container-engine.js';

/**
 * Docker 20.10's json-file follow can end when the container stops before it has given the last messages
 * (a CI run saw a 300 MiB flood lose its last line; Docker 23 rewrote the follow to drain the file before
 * it ends): the last lines of a crashed replica or a one-off run would be lost. After a follow ends, its
 * tail is read again without following: from the first message of a line it had not finished, else from
 * just after the last message it read. Of that second read, only lines that begin after the last
 * message read, or that are the unfinished lines, are new (others were given, or are the ends of lines
 * that began earlier). Two messages of one nanosecond, one read and one not, would lose the second: reading
 * from that nanosecond instead would give the end of a long line as a line of its own, far likelier.
 */
export class FollowResume {
  private readonly lastReadNanos: bigint | undefined;
  private readonly unfinished: Set<string>;
  private readonly earliestUnfinished: bigint | undefined;

  /**
   * `lastRead`: the timestamp of the last message the follow read; `unfinished`: the stream and first
   * timestamp of each line it had not finished, and whether that line was already cut and given
   * (LogLineAssembler.pending). A cut line is read again from its start too, so the second read drops
   * its end up to the newline as the first would have, but it is not new: it was given, cut.
   */
  constructor(
    lastRead: string | undefined,
    unfinished: (Pick<LogLine, 'stream' | 'timestamp'> & { cut?: boolean })[],
  ) {
    this.lastReadNanos = lastRead === undefined ? undefined : timestampNanos(lastRead);
    this.unfinished = new Set(unfinished.filter((line) => !line.cut).map(lineKey));
    for (const line of unfinished) {
      const nanos = timestampNanos(line.timestamp);
      if (nanos !== undefined && (this.earliestUnfinished === undefined || nanos < this.earliestUnfinished))
        this.earliestUnfinished = nanos;
    }
  }

  /** Docker's `since` for the second read; undefined when the follow read nothing. */
  get since(): string | undefined {
    if (this.earliestUnfinished !== undefined) return dockerSince(this.earliestUnfinished);
    return this.lastReadNanos === undefined ? undefined : dockerSince(this.lastReadNanos + 1n);
  }

  /** Whether a line of the second read is to be given. */
  isNew(line: LogLine): boolean {
    const nanos = timestampNanos(line.timestamp);
    if (this.lastReadNanos === undefined || nanos === undefined || nanos > this.lastReadNanos) return true;
    return this.unfinished.has(lineKey(line));
  }
}

function lineKey(line: Pick<LogLine, 'stream' | 'timestamp'>): string {
  return `${line.stream} ${line.timestamp}`;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch of Docker's RFC 3339 timestamp (trailing zeros of the fraction dropped). */
export function timestampNanos(timestamp: string): bigint | undefined {
  const match = RFC3339.exec(timestamp);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return (BigInt(seconds) / 1000n) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** Docker's `since` and `until` query form: seconds, a dot and nine digits. */
export function dockerSince(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  return `${seconds}.${(nanos % 1_000_000_000n).toString().padStart(9, '0')}`;
}
