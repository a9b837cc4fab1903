import type { AppLogEntry } from '../logs/index.js';

/**
 * A drain's waiting lines: bounded by `capacity`. A line pushed while it is full is dropped and counted
 * (the newest are dropped, so what is sent stays in order with no holes but the counted ones). Never grows
 * without bound, whatever the endpoint does.
 */
export class DrainQueue {
  private lines: AppLogEntry[] = [];
  private head = 0;
  private droppedCount = 0;

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new Error('a drain queue holds at least one line');
  }

  get length(): number {
    return this.lines.length - this.head;
  }

  /** Lines refused because the queue was full, since the queue was made. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Returns false when the line was dropped. */
  push(line: AppLogEntry): boolean {
    if (this.length >= this.capacity) {
      this.droppedCount++;
      return false;
    }
    this.lines.push(line);
    return true;
  }

  /** Counts lines lost before reaching the queue (the hub's "dropped" markers). */
  countDropped(count: number): void {
    this.droppedCount += count;
  }

  /** The oldest `max` lines, still queued (take them off with `remove` once sent). */
  peek(max: number): AppLogEntry[] {
    return this.lines.slice(this.head, this.head + max);
  }

  remove(count: number): void {
    this.head += Math.min(count, this.length);
    // Compact now and then, so the array does not keep sent lines alive.
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops everything waiting (counted): the drain was removed or gave up a batch. */
  discard(count = this.length): void {
    const n = Math.min(count, this.length);
    this.droppedCount += n;
    this.remove(n);
  }
}
