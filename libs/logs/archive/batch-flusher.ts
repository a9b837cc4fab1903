import type { ArchiveItem, ArchiveQueue } from './archive-batch.js';

/**
 * When queued lines go to the store: one write at a time, a full batch at once, a partial one `delayMs`
 * after it began to wait. Lines that come during a write wait for a full batch or the timer set when the
 * write ends: at a steady 1,000 lines/s that is a write per 250 ms, not one per round trip (~20 small
 * transactions a second beside the event loop streaming the lines).
 */
export class BatchFlusher {
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly queue: ArchiveQueue,
    private readonly options: {
      batchLines: number;
      delayMs: number;
      write: (items: ArchiveItem[]) => Promise<void>;
    },
  ) {}

  /** After lines were queued: a full batch goes now, a partial one on the timer (none during a write). */
  schedule(): void {
    if (this.flushing) return;
    if (this.queue.size >= this.options.batchLines) void this.writeQueued({ all: false });
    else if (!this.timer && this.queue.size > 0) {
      this.timer = setTimeout(() => void this.writeQueued({ all: false }), this.options.delayMs);
    }
  }

  /** Writes batches until the queue is empty (`all`: tests, shutdown) or holds less than a full batch. */
  async writeQueued({ all }: { all: boolean }): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.queue.size === 0) return;
    this.flushing = (async () => {
      do {
        await this.options.write(this.queue.take(this.options.batchLines));
      } while (this.queue.size >= (all ? 1 : this.options.batchLines));
    })().finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
    await this.flushing;
  }
}
