import { type SourceLogLine, normalizeTimestamp } from './log-entry.js';

/** A follow stopped delivering while its container went on logging; the hub reopens it (`since`). */
export class FollowStalledError extends Error {
  constructor() {
    super('the log follow stalled (the container logged on; reopening)');
    this.name = 'FollowStalledError';
  }
}

export interface StallCheck {
  /** Open the follow (batches of lines); it must end when the given signal fires. */
  open: (signal: AbortSignal) => AsyncIterable<SourceLogLine[]>;
  /** The timestamp of the container's newest log line (e.g. a `tail: 1` read), if any. */
  newest: () => Promise<string | undefined>;
  /** Lines at or before this instant were not asked for (the follow's `since`). */
  since: string | undefined;
  /** Quiet time after which the engine is asked whether the container logged on. */
  quietMs: number;
  signal: AbortSignal;
}

/**
 * Passes a follow's batches through, and ends it with FollowStalledError when it went quiet while the
 * container kept logging. Docker 20.10's json-file follow can stop delivering after a log rotation (seen
 * here: a 50,000-line burst followed directly stopped at line 20,614 and never resumed). So after
 * `quietMs` without a batch the container's newest line is looked up; when it is newer than the last line
 * delivered (or than `since`, before any), the follow is aborted and the error makes the hub reopen it from
 * the last timestamp, skipping what it already has. A quiet container costs one small read per `quietMs`.
 * One timer per follow, re-armed from the time of the last batch when it fires: nothing per line or batch.
 */
export async function* withStallCheck(check: StallCheck): AsyncGenerator<SourceLogLine[]> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  check.signal.addEventListener('abort', stop, { once: true });
  let baseline = check.since === undefined ? undefined : normalizeTimestamp(check.since);
  let lastActivity = performance.now();
  let stalled = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    if (!finished && !controller.signal.aborted) timer = setTimeout(() => void onQuiet(), ms);
  };
  const onQuiet = async () => {
    timer = undefined;
    const quietFor = performance.now() - lastActivity;
    if (quietFor < check.quietMs) return arm(check.quietMs - quietFor);
    const probedAt = lastActivity;
    const newest = await check.newest().catch(() => undefined);
    if (finished || controller.signal.aborted) return;
    if (
      lastActivity === probedAt && // no batch came meanwhile
      newest !== undefined &&
      (baseline === undefined || normalizeTimestamp(newest) > baseline)
    ) {
      stalled = true;
      controller.abort(); // ends the read that is still pending: the loop below then throws
      return;
    }
    arm(check.quietMs);
  };
  arm(check.quietMs);
  try {
    for await (const batch of check.open(controller.signal)) {
      if (check.signal.aborted || stalled) break;
      lastActivity = performance.now();
      baseline = newerBaseline(baseline, batch);
      yield batch;
      lastActivity = performance.now(); // time the consumer held the batch is not quiet time
    }
    if (stalled && !check.signal.aborted) throw new FollowStalledError();
  } finally {
    finished = true;
    clearTimeout(timer);
    check.signal.removeEventListener('abort', stop);
    controller.abort(); // a follow still open (the consumer stopped early) is ended
  }
}

/** The baseline after `batch`: its newest timestamp, when later. */
function newerBaseline(baseline: string | undefined, batch: SourceLogLine[]): string | undefined {
  // Lines come canonical (withoutReplayedBatches), so text order is time order: one check per batch.
  let newest = batch[0]?.timestamp;
  for (const line of batch) if (line.timestamp > newest!) newest = line.timestamp;
  if (newest === undefined) return baseline;
  try {
    const timestamp = normalizeTimestamp(newest);
    return baseline === undefined || timestamp > baseline ? timestamp : baseline;
  } catch {
    return baseline; // not a timestamp (never from Docker): the baseline stays
  }
}
