import {
  type AppLogEntry,
  type AppLogEntryWithoutSeq,
  type AppLogStream,
  type LogPosition,
  compareLogPositions,
  cursorOf,
  parseCursor,
} from './log-entry.js';
import type { LogHub } from './log-fanout.js';
import type { LogSubscription } from './log-hub-types.js';
import type { LogDelivery } from './log-subscriber.js';

/** One line as a live client sees it: the entry's fields and the cursor to resume after it. */
export interface LiveLogLine {
  timestamp: string;
  replica: string;
  containerId: string;
  stream: AppLogStream;
  text: string;
  cursor: string;
}

export type LiveLogMessage =
  { type: 'lines'; lines: LiveLogLine[] } | { type: 'dropped'; count: number | null };

/** Where a feed's messages go (a WebSocket, an NDJSON response). */
export interface LiveLogSink {
  /** False when the client's buffer is full: the feed sends nothing more until `LiveLogFeed.resume()`. */
  send(message: LiveLogMessage): boolean;
}

/**
 * History read from the engine (finite, in merged time order): the lines after a cursor, or the last `tail`
 * lines. Used where the hub's ring cannot serve them.
 */
export type LogBackfill = (
  request: { after: string } | { tail: number },
  signal: AbortSignal,
) => AsyncIterable<AppLogEntryWithoutSeq>;

export interface LiveLogFeedOptions {
  hub: LogHub;
  /** The hub's key of the app (its id). */
  app: string;
  /** Resume after this cursor (a live or a REST cursor). Takes precedence over `tail`. */
  cursor?: string;
  /** Start with the app's last `tail` lines (from the engine), then go live. */
  tail?: number;
  /** How far behind the client may fall before lines are dropped (and a marker sent). */
  maxBufferedLines: number;
  backfill: LogBackfill;
  sink: LiveLogSink;
  /** Lines per message while backfilling (default 256). */
  batchLines?: number;
  /** The backfill failed: the feed reports `{ dropped, count: null }` and goes on live. */
  onBackfillError?: (error: unknown) => void;
}

type Phase = 'probe' | 'backfill' | 'live';

/**
 * One client's live view of an app's log: a LogHub subscription, plus history from the engine spliced in
 * front of it without gap or repeat where the hub's ring cannot serve it:
 *
 * - `tail`: the last N lines come from the engine, then live lines.
 * - `cursor`: the hub resumes exactly when its ring still holds the cursor's line (same process, within the
 *   linger time). When it cannot (its first delivery is a dropped marker: ring restarted, cursor from REST or
 *   another process, or evicted), the lines after the cursor are read from the engine instead of reporting
 *   the gap.
 *
 * While history is sent, the hub subscription is held (its send returned false), so live lines wait in the
 * ring, bounded as for any slow client. Afterwards live lines already sent as history are skipped: per
 * replica, anything at or before the last history line of that replica (or, for a replica without history,
 * at or before the cursor). Positions come from the log itself (timestamp, replica, ordinal), so the history
 * and the live follow name a line alike.
 */
export class LiveLogFeed {
  private subscription: LogSubscription | undefined;
  private phase: Phase = 'live';
  /** The one hub delivery taken (and held) while history was being sent. */
  private held: LogDelivery | undefined;
  /** After a backfill: per replica, the last position sent as history. */
  private floors: Map<string, LogPosition> | undefined;
  private readonly cursor: LogPosition | undefined;
  private waitingForDrain: (() => void) | undefined;
  private readonly abort = new AbortController();
  private closed = false;

  /** Throws InvalidCursorError (a 400 problem) for a cursor this API did not issue. */
  constructor(private readonly options: LiveLogFeedOptions) {
    if (options.cursor !== undefined) this.cursor = parseCursor(options.cursor);
    const { tail } = options;
    if (tail !== undefined && !(Number.isSafeInteger(tail) && tail >= 0)) {
      throw new RangeError('tail must be a non-negative integer');
    }
  }

  get queuedLines(): number {
    return this.subscription?.queuedLines ?? 0;
  }

  get droppedLines(): number {
    return this.subscription?.droppedLines ?? 0;
  }

  start(): void {
    if (this.subscription || this.closed) return;
    const { hub, app, cursor, tail, maxBufferedLines } = this.options;
    const tailFirst = cursor === undefined && tail !== undefined && tail > 0;
    this.phase = tailFirst ? 'backfill' : cursor !== undefined ? 'probe' : 'live';
    this.subscription = hub.subscribe({
      app,
      fromCursor: cursor,
      maxBufferedLines,
      send: (delivery) => this.fromHub(delivery),
    });
    if (tailFirst) void this.sendHistory({ tail: tail! });
  }

  /** The sink drained: send what waits. */
  resume(): void {
    if (this.closed) return;
    const waiting = this.waitingForDrain;
    if (waiting) {
      this.waitingForDrain = undefined;
      waiting();
      return;
    }
    if (this.phase !== 'backfill') this.subscription?.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.subscription?.unsubscribe();
    const waiting = this.waitingForDrain;
    this.waitingForDrain = undefined;
    waiting?.();
  }

  private fromHub(delivery: LogDelivery): boolean {
    if (this.closed) return false;
    switch (this.phase) {
      case 'probe':
        if (!Array.isArray(delivery)) {
          // The hub could not resume exactly: read what followed the cursor from the engine instead.
          this.phase = 'backfill';
          void this.sendHistory({ after: this.options.cursor! });
          return false;
        }
        this.phase = 'live';
        return this.forward(delivery);
      case 'backfill':
        // Held until the history is out; returning false keeps the hub from sending more meanwhile.
        this.held = delivery;
        return false;
      case 'live':
        return this.forward(delivery);
    }
  }

  private async sendHistory(request: { after: string } | { tail: number }): Promise<void> {
    const floors = new Map<string, LogPosition>();
    const batchLines = this.options.batchLines ?? 256;
    try {
      let batch: LiveLogLine[] = [];
      for await (const entry of this.options.backfill(request, this.abort.signal)) {
        if (this.closed) return;
        floors.set(entry.replica, entry);
        batch.push(lineOf(entry));
        if (batch.length >= batchLines) {
          await this.sendNow({ type: 'lines', lines: batch });
          batch = [];
        }
      }
      if (batch.length > 0) await this.sendNow({ type: 'lines', lines: batch });
    } catch (error) {
      if (this.closed) return;
      this.options.onBackfillError?.(error);
      await this.sendNow({ type: 'dropped', count: null });
    }
    if (this.closed) return;
    this.floors = floors;
    this.phase = 'live';
    const held = this.held;
    this.held = undefined;
    if (held && !this.forward(held)) return; // the sink is full: resume() continues
    this.subscription?.resume();
  }

  /** Sends one message, waiting for the sink to drain when it says it is full. */
  private async sendNow(message: LiveLogMessage): Promise<void> {
    if (this.closed) return;
    if (this.options.sink.send(message)) return;
    await new Promise<void>((resolve) => (this.waitingForDrain = resolve));
  }

  private forward(delivery: LogDelivery): boolean {
    if (!Array.isArray(delivery)) return this.options.sink.send(delivery);
    const lines: LiveLogLine[] = [];
    for (const entry of delivery) if (this.isNew(entry)) lines.push(lineOf(entry));
    if (lines.length === 0) return true;
    return this.options.sink.send({ type: 'lines', lines });
  }

  /** False for a live line the client already got as history. */
  private isNew(entry: AppLogEntry): boolean {
    if (!this.floors) return true;
    const floor = entry.stream === 'system' ? this.cursor : (this.floors.get(entry.replica) ?? this.cursor);
    return floor === undefined || compareLogPositions(entry, floor) > 0;
  }
}

function lineOf(entry: AppLogEntryWithoutSeq & { seq?: number }): LiveLogLine {
  return {
    timestamp: entry.timestamp,
    replica: entry.replica,
    containerId: entry.containerId,
    stream: entry.stream,
    text: entry.text,
    cursor: cursorOf(entry),
  };
}
