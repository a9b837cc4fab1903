import { type LogPosition, compareLogPositions } from '../log-entry.js';

/** A line on its way to the store. */
export interface ArchivedLine {
  appId: string;
  replica: string;
  containerId: string;
  stream: 'stdout' | 'stderr';
  timestamp: string;
  ordinal: number;
  text: string;
}

/**
 * What waits in the queue: a line to store, or the position of a line refused by the byte cap (nothing to
 * store, but the replica's watermark may pass it).
 */
export type ArchiveItem = { line: ArchivedLine } | { refused: ArchivedLine };

/** The app of an item, kept or refused. */
export function appIdOf(item: ArchiveItem): string {
  return 'line' in item ? item.line.appId : item.refused.appId;
}

/** Per app and UTC day: what was kept, and what was not (over the byte cap, or dropped from a full queue). */
export interface DayCounts {
  appId: string;
  bytesKept: number;
  linesKept: number;
  linesNotKept: number;
}

/** What a line counts against the byte cap and the queue: its UTF-8 text (the rest is bounded and small). */
export function lineBytes(line: ArchivedLine): number {
  return Buffer.byteLength(line.text, 'utf8');
}

/**
 * The bounded queue between the hub (which never waits) and the store: at most `maxLines` items and
 * `maxBytes` of text. A full queue refuses the item (the caller counts it and re-reads that app's lines from
 * the engine later), so memory stays bounded whatever tenants print.
 */
export class ArchiveQueue {
  private items: ArchiveItem[] = [];
  private head = 0;
  private bytes = 0;
  private droppedCount = 0;

  constructor(private readonly limits: { maxLines: number; maxBytes: number }) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get queuedBytes(): number {
    return this.bytes;
  }

  /** Items refused because the queue was full, since it was made. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Whether an item of `bytes` would be taken now. */
  hasRoom(bytes: number): boolean {
    return this.size < this.limits.maxLines && this.bytes + bytes <= this.limits.maxBytes;
  }

  offer(item: ArchiveItem): boolean {
    const bytes = 'line' in item ? lineBytes(item.line) : 0;
    if (this.size >= this.limits.maxLines || this.bytes + bytes > this.limits.maxBytes) {
      this.droppedCount += 1;
      return false;
    }
    this.items.push(item);
    this.bytes += bytes;
    return true;
  }

  /** The oldest `max` items (fewer when fewer wait). */
  take(max: number): ArchiveItem[] {
    const taken = this.items.slice(this.head, this.head + max);
    this.head += taken.length;
    for (const item of taken) if ('line' in item) this.bytes -= lineBytes(item.line);
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }
}

/**
 * The per-app daily byte cap (the plan's logMbPerDay): `admit` says whether a line of `bytes` may still be
 * kept today, counting it either way. Counts are per UTC day; `pending` hands out (and resets) what was
 * counted since the last call, for the store.
 */
export class DailyByteCap {
  private readonly apps = new Map<string, { day: string; bytesKept: number; pending: DayCounts }>();

  /** Sets what the app kept on `day` before (from the store) and its allowance. */
  load(appId: string, day: string, bytesKeptBefore: number): void {
    const current = this.apps.get(appId);
    if (current && current.day === day) return;
    this.apps.set(appId, { day, bytesKept: bytesKeptBefore, pending: zero(appId) });
  }

  knows(appId: string, day: string): boolean {
    return this.apps.get(appId)?.day === day;
  }

  admit(appId: string, day: string, bytes: number, allowance: number): boolean {
    let app = this.apps.get(appId);
    if (!app || app.day !== day) {
      // A new day (or an app not loaded): start from zero; what was pending for the old day is lost with it
      // only if it was never flushed, which `pending` prevents by being called every batch.
      app = { day, bytesKept: 0, pending: zero(appId) };
      this.apps.set(appId, app);
    }
    if (app.bytesKept + bytes > allowance) {
      app.pending.linesNotKept += 1;
      return false;
    }
    app.bytesKept += bytes;
    app.pending.bytesKept += bytes;
    app.pending.linesKept += 1;
    return true;
  }

  /** A line not kept for another reason (a full queue). */
  notKept(appId: string, day: string): void {
    const app = this.apps.get(appId);
    if (app && app.day === day) app.pending.linesNotKept += 1;
  }

  /** What was counted on `day` since the last call, per app; the counts start over. */
  pending(day: string): DayCounts[] {
    const out: DayCounts[] = [];
    for (const app of this.apps.values()) {
      if (app.day !== day) continue;
      const p = app.pending;
      if (p.bytesKept + p.linesKept + p.linesNotKept > 0) out.push(p);
      app.pending = zero(p.appId);
    }
    return out;
  }

  /** Puts counts back (a write failed). */
  restore(day: string, counts: DayCounts[]): void {
    for (const c of counts) {
      const app = this.apps.get(c.appId);
      if (!app || app.day !== day) continue;
      app.pending.bytesKept += c.bytesKept;
      app.pending.linesKept += c.linesKept;
      app.pending.linesNotKept += c.linesNotKept;
    }
  }

  forget(appId: string): void {
    this.apps.delete(appId);
  }
}

function zero(appId: string): DayCounts {
  return { appId, bytesKept: 0, linesKept: 0, linesNotKept: 0 };
}

/** Whether `line` comes after `watermark` in its replica's log (every line does when there is none). */
export function isAfter(line: LogPosition, watermark: LogPosition | undefined): boolean {
  return watermark === undefined || compareLogPositions(line, watermark) > 0;
}

/** The newest position per replica among `items` (they are in each replica's order). */
export function newestPerReplica(
  items: ArchiveItem[],
): Map<string, { appId: string; position: LogPosition }> {
  const newest = new Map<string, { appId: string; position: LogPosition }>();
  for (const item of items) {
    const line = 'line' in item ? item.line : item.refused;
    const known = newest.get(line.replica);
    if (!known || compareLogPositions(line, known.position) > 0) {
      newest.set(line.replica, {
        appId: line.appId,
        position: { timestamp: line.timestamp, replica: line.replica, ordinal: line.ordinal },
      });
    }
  }
  return newest;
}
