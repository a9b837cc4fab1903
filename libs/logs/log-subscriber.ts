import { type AppLogEntry, type LogCursor, compareLogPositions, samePosition } from './log-entry.js';
import type { LogRing } from './log-ring.js';

/**
 * Sent before the next lines when lines were lost in between. `count` is exact, or `null` when the hub
 * could not place the subscriber's cursor (a cursor from another process or from the REST endpoint that
 * is older than everything buffered): lines may be missing between it and what follows; fetch them over
 * REST with `after=<cursor>`.
 */
export interface DroppedMarker {
  type: 'dropped';
  count: number | null;
}

export type LogDelivery = AppLogEntry[] | DroppedMarker;

/** Returns false when the client's buffer is full: the hub then waits for `resume()` before sending more. */
export type SendLogs = (delivery: LogDelivery) => boolean;

/**
 * One subscriber's delivery state. Its "queue" is not a copy: it is the range of the app's ring after
 * `position`, so a subscriber costs O(1) memory however far behind it is. Falling more than `maxQueued`
 * lines behind (or behind what the ring still holds) moves `position` forward and counts the skipped lines,
 * which go out as one DroppedMarker ahead of the next batch.
 */
export class LogSubscriber {
  private position: number;
  private dropped = 0;
  private unknownGap: boolean;
  private blocked = false;
  private closed = false;
  private scheduled: NodeJS.Immediate | undefined;
  private delivered = 0;
  private droppedTotal = 0;

  constructor(
    private readonly ring: LogRing,
    start: { position: number; unknownGap: boolean },
    private readonly maxQueued: number,
    /** Lines per send at most (the hub tells it of new lines at least this often). */
    readonly batchLines: number,
    private readonly send: SendLogs,
    /** Called once when `send` throws: the hub removes the subscriber. */
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.position = start.position;
    this.unknownGap = start.unknownGap;
    this.bound();
  }

  /** The seq of the last line this subscriber was given (or skipped). */
  get lastSeq(): number {
    return this.position;
  }

  /** Lines waiting for this subscriber (never more than maxQueued, nor than the ring holds). */
  get queuedLines(): number {
    return this.ring.newestSeq - this.position;
  }

  get deliveredLines(): number {
    return this.delivered;
  }

  /** Lines this subscriber lost so far (sent or about to be sent as markers). */
  get droppedLines(): number {
    return this.droppedTotal;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** After the ring got a line: keep within bounds, then deliver (now for a full batch, else soon). */
  onAppend(): void {
    if (this.closed) return;
    this.bound();
    if (this.blocked) return;
    if (this.queuedLines >= this.batchLines) this.flush();
    else this.schedule();
  }

  /** The client drained its buffer: send what waits. */
  resume(): void {
    if (this.closed) return;
    this.blocked = false;
    this.flush();
  }

  /** Deliver soon (coalescing the lines of one event-loop turn into one batch). */
  schedule(): void {
    if (this.closed || this.blocked || this.scheduled) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (!this.closed && !this.blocked) {
      const read = this.ring.since(this.position, this.batchLines);
      this.skip(read.dropped);
      if (this.dropped > 0 || this.unknownGap) {
        const marker: DroppedMarker = { type: 'dropped', count: this.unknownGap ? null : this.dropped };
        this.dropped = 0;
        this.unknownGap = false;
        if (!this.deliver(marker)) return;
      }
      if (read.entries.length === 0) return;
      this.position = read.entries[read.entries.length - 1].seq;
      this.delivered += read.entries.length;
      if (!this.deliver(read.entries)) return;
    }
  }

  private deliver(delivery: LogDelivery): boolean {
    let ok: boolean;
    try {
      ok = this.send(delivery);
    } catch (error) {
      this.close();
      this.onFailure(error);
      return false;
    }
    if (!ok) this.blocked = true;
    return ok && !this.closed;
  }

  /** Never more than maxQueued behind, never behind the ring's oldest line. */
  private bound(): void {
    const floor = Math.max(this.ring.newestSeq - this.maxQueued, this.ring.oldestSeq - 1);
    if (this.position < floor) this.skip(floor - this.position);
  }

  private skip(lines: number): void {
    if (lines <= 0) return;
    this.position += lines;
    this.dropped += lines;
    this.droppedTotal += lines;
  }
}

/**
 * Where a subscriber with `cursor` starts in `ring` (its position is the seq of the last line it has):
 * 1. the cursor's seq, when the ring holds that very line, or when it was this ring's and is evicted (the
 *    subscriber then gets an exact dropped count);
 * 2. else the line itself found by (timestamp, replica, ordinal): a cursor from the REST endpoint or from
 *    another process whose line this ring also holds;
 * 3. else by time: before the first buffered line that sorts after the cursor. If nothing buffered sorts
 *    at or before it, lines may be missing in between: the subscriber gets `{ count: null }` first.
 */
export function resumePoint(ring: LogRing, cursor: LogCursor): { position: number; unknownGap: boolean } {
  const { seq } = cursor;
  if (seq !== undefined && seq >= ring.firstSeq && seq <= ring.newestSeq) {
    const entry = ring.get(seq);
    if (!entry || samePosition(entry, cursor)) return { position: seq, unknownGap: false };
  }
  const same = ring.findLast((entry) => samePosition(entry, cursor));
  if (same) return { position: same.seq, unknownGap: false };
  const next = ring.find((entry) => compareLogPositions(entry, cursor) > 0);
  if (!next) return { position: ring.newestSeq, unknownGap: ring.size === 0 };
  return { position: next.seq - 1, unknownGap: next.seq === ring.oldestSeq };
}
