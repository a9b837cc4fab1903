import type { SourceLogLine } from '../log-entry.js';
import type { OpenLogs } from '../log-fanout.js';

type Item = SourceLogLine | { end: true } | { fail: Error };

/**
 * A scripted container log follow for tests (no Docker): lines pushed into it come out of the follow that
 * is open at the time; `end()` ends it as a stopped container would, `fail()` makes it throw. Each follow
 * also ends when its AbortSignal fires, as the engine's does. Records every open (since, signal).
 */
export class FakeLogFollow {
  readonly opens: { since: string | undefined; signal: AbortSignal }[] = [];
  private readonly queue: Item[] = [];
  private wake: (() => void) | undefined;

  readonly open: OpenLogs = (since, signal) => {
    this.opens.push({ since, signal });
    return this.follow(signal);
  };

  /** The signal of the latest open. */
  get signal(): AbortSignal | undefined {
    return this.opens.at(-1)?.signal;
  }

  push(...lines: SourceLogLine[]): void {
    this.queue.push(...lines);
    this.notify();
  }

  /** Lines `text`, all on stdout, with the given timestamps. */
  lines(entries: [timestamp: string, text: string][]): void {
    this.push(...entries.map(([timestamp, text]) => ({ stream: 'stdout' as const, timestamp, text })));
  }

  end(): void {
    this.queue.push({ end: true });
    this.notify();
  }

  fail(error = new Error('connection reset')): void {
    this.queue.push({ fail: error });
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async *follow(signal: AbortSignal): AsyncGenerator<SourceLogLine> {
    for (;;) {
      if (signal.aborted) return;
      const item = this.queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      if ('end' in item) return;
      if ('fail' in item) throw item.fail;
      yield item;
    }
  }
}

/** Lets scheduled deliveries (setImmediate) and pending follow reads run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
