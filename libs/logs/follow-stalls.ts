import { type SourceLogLine, normalizeTimestamp } from './log-entry.js';

/** A follow stopped delivering while its container went on logging; the hub reopens it (`since`). */
export class FollowStalledError extends Error {
  constructor() {
    super('the log follow stalled (the container logged on; reopening)');
    this.name = 'FollowStalledError';
  }
}

export interface StallCheck {
  /** Open the follow; it must end when the given signal fires. */
  open: (signal: AbortSignal) => AsyncIterable<SourceLogLine>;
  /** The timestamp of the container's newest log line (e.g. a `tail: 1` read), if any. */
  newest: () => Promise<string | undefined>;
  /** Lines at or before this instant were not asked for (the follow's `since`). */
  since: string | undefined;
  /** Quiet time after which the engine is asked whether the container logged on. */
  quietMs: number;
  signal: AbortSignal;
}

/**
 * Passes a follow's lines through, and ends it with FollowStalledError when it went quiet while the
 * container kept logging. Docker 20.10's json-file follow can stop delivering after a log rotation (seen
 * here: a 50,000-line burst followed directly stopped at line 20,614 and never resumed). So after
 * `quietMs` without a line the container's newest line is looked up; when it is newer than the last line
 * delivered (or than `since`, before any), the follow is aborted and the error makes the hub reopen it from
 * the last timestamp, skipping what it already has. A quiet container costs one small read per `quietMs`.
 */
export async function* withStallCheck(check: StallCheck): AsyncGenerator<SourceLogLine> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  check.signal.addEventListener('abort', stop, { once: true });
  const iterator = check.open(controller.signal)[Symbol.asyncIterator]();
  let baseline = check.since === undefined ? undefined : normalizeTimestamp(check.since);
  let pending = iterator.next();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const quiet = new Promise<'quiet'>(
        (resolve) => (timer = setTimeout(() => resolve('quiet'), check.quietMs)),
      );
      const next = await Promise.race([pending, quiet]);
      clearTimeout(timer);
      if (check.signal.aborted) return;
      if (next === 'quiet') {
        const newest = await check.newest().catch(() => undefined);
        if (check.signal.aborted) return;
        if (newest !== undefined && (baseline === undefined || normalizeTimestamp(newest) > baseline)) {
          throw new FollowStalledError();
        }
        continue; // still waiting on the same read
      }
      if (next.done) return;
      const line = next.value;
      try {
        const timestamp = normalizeTimestamp(line.timestamp);
        if (baseline === undefined || timestamp > baseline) baseline = timestamp;
      } catch {
        // not a timestamp (never from Docker): the baseline stays
      }
      yield line;
      pending = iterator.next();
    }
  } finally {
    check.signal.removeEventListener('abort', stop);
    controller.abort(); // ends a read that is still pending, so return() below does not wait on it
    pending.catch(() => undefined);
    await iterator.return?.(undefined);
  }
}
