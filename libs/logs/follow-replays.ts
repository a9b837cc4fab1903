import { type SourceLogLine, normalizeTimestamp } from './log-entry.js';

/**
 * Drops the lines a container log follow repeats. Docker's json-file follow re-reads part of a rotated file
 * (seen on Docker 20.10: a 150,000-line burst followed with `docker logs -f` came out as 178,012 lines, the
 * last 28,012 a replay). Each output stream is stamped by its own copier, one `time.Now()` per line, so
 * within a stream the timestamps only grow; a line not later than the stream's last one is a replay.
 * (Across stdout and stderr timestamps can step back a little, so each stream is guarded on its own. A
 * wall-clock step backwards on the host would hold that stream's lines back until the clock catches up.)
 * Timestamps come out canonical (normalizeTimestamp).
 */
export async function* withoutReplays(lines: AsyncIterable<SourceLogLine>): AsyncGenerator<SourceLogLine> {
  const replays = new ReplayFilter();
  for await (const line of lines) {
    const kept = replays.keep(line);
    if (kept) yield kept;
  }
}

/** withoutReplays for a follow read in batches (what arrived together): the same lines, batch by batch. */
export async function* withoutReplayedBatches(
  batches: AsyncIterable<SourceLogLine[]>,
): AsyncGenerator<SourceLogLine[]> {
  const replays = new ReplayFilter();
  for await (const batch of batches) {
    const kept: SourceLogLine[] = [];
    for (const line of batch) {
      const fresh = replays.keep(line);
      if (fresh) kept.push(fresh);
    }
    if (kept.length > 0) yield kept;
  }
}

/** The replay check of one follow: each stream's last timestamp. */
class ReplayFilter {
  private readonly last: Record<SourceLogLine['stream'], string | undefined> = {
    stdout: undefined,
    stderr: undefined,
    router: undefined,
  };

  /** The line with its canonical timestamp, or undefined for a replay. */
  keep(line: SourceLogLine): SourceLogLine | undefined {
    let timestamp: string;
    try {
      timestamp = canonical(line.timestamp); // compares as text, and the hub's own check takes its quick path
    } catch {
      return line; // never seen from Docker; the hub keeps such a line at the previous timestamp
    }
    const previous = this.last[line.stream];
    if (previous !== undefined && timestamp <= previous) return undefined;
    this.last[line.stream] = timestamp;
    return timestamp === line.timestamp ? line : { stream: line.stream, timestamp, text: line.text };
  }
}

/** Docker's RFC3339Nano in UTC with trailing zeros trimmed, e.g. `…:05.1234Z`: only the fraction differs. */
const DOCKER_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d{1,9}))?Z$/;

/** normalizeTimestamp, with a quick path for what Docker writes (no BigInt arithmetic per line). */
function canonical(timestamp: string): string {
  const match = DOCKER_UTC.exec(timestamp);
  if (!match) return normalizeTimestamp(timestamp);
  const fraction = match[1] ?? '';
  const padded = fraction.length === 9 ? timestamp : `${timestamp.slice(0, 19)}.${fraction.padEnd(9, '0')}Z`;
  return normalizeTimestamp(padded); // now canonical: checked (calendar fields) on the quick path
}
