import type { AppLogEntry, LogDelivery } from '../logs/index.js';
import { DrainQueue } from './drain-queue.js';
import type { DrainSender } from './drain-senders.js';

export interface ForwardingSettings {
  /** Lines waiting per drain at most; more are dropped and counted. */
  queueLines: number;
  /** A batch goes out at this many lines, or `batchDelayMs` after its first line, whichever comes first. */
  batchLines: number;
  batchDelayMs: number;
  /** Tries per batch (first send included); then the batch is dropped and counted. */
  attempts: number;
  /** First retry delay; it doubles per attempt up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface DrainCounters {
  linesSent: number;
  linesDropped: number;
  lastError: string | null;
  lastSentAt: Date | null;
}

/**
 * One drain's forwarding: the hub hands it lines (`offer`, never blocking: a full queue drops), and one
 * send loop takes them out in order, in batches, retrying a failed batch with exponential backoff. So a
 * slow or dead endpoint costs its own queue only, never the app's streams or another drain.
 */
export class DrainForwarder {
  private readonly queue: DrainQueue;
  private sent = 0;
  private lastError: string | null = null;
  private lastSentAt: Date | null = null;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly sender: DrainSender,
    private readonly settings: ForwardingSettings,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.queue = new DrainQueue(settings.queueLines);
    this.done = this.run();
  }

  /** The hub's `send`: always accepts (returns true), so the hub never holds lines for a drain. */
  offer(delivery: LogDelivery): boolean {
    if (this.stopped) return true;
    if (Array.isArray(delivery)) {
      for (const line of delivery) this.queue.push(line);
      this.wake?.();
    } else {
      this.queue.countDropped(delivery.count ?? 0);
    }
    return true;
  }

  counters(): DrainCounters {
    return {
      linesSent: this.sent,
      linesDropped: this.queue.dropped,
      lastError: this.lastError,
      lastSentAt: this.lastSentAt,
    };
  }

  get queuedLines(): number {
    return this.queue.length;
  }

  /** Stops after the batch in flight; what still waits is dropped (counted). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
    this.queue.discard();
    this.sender.close();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === 0) await this.waitForLines(undefined);
      if (this.stopped) break;
      if (this.queue.length < this.settings.batchLines) await this.waitForLines(this.settings.batchDelayMs);
      if (this.stopped) break;
      const batch = this.queue.peek(this.settings.batchLines);
      if (batch.length === 0) continue;
      if (await this.deliver(batch)) {
        this.sent += batch.length;
        this.lastSentAt = new Date();
        this.queue.remove(batch.length);
      } else {
        this.queue.discard(batch.length);
      }
    }
  }

  private async deliver(batch: AppLogEntry[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sender.send(batch);
        return true;
      } catch (error) {
        this.lastError = String((error as Error).message ?? error).slice(0, 300);
        if (attempt >= this.settings.attempts || this.stopped) return false;
        const delay = Math.min(this.settings.retryBaseMs * 2 ** (attempt - 1), this.settings.retryMaxMs);
        await this.sleep(delay);
      }
    }
  }

  /** Until a line arrives (or, with `timeoutMs`, until the batch is full or the time is up). */
  private waitForLines(timeoutMs: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake =
        timeoutMs === undefined
          ? finish
          : () => {
              if (this.stopped || this.queue.length >= this.settings.batchLines) finish();
            };
      if (timeoutMs !== undefined) timer = setTimeout(finish, timeoutMs);
    });
  }
}
