import type { DestinationStream } from 'pino';

/** Lines kept at most this long before they are written (nginx's access_log `flush=` does the same). */
export const REQUEST_LOG_FLUSH_MS = 100;
/** A batch this large is written at once, whatever its age. */
const MAX_BATCH_CHARS = 64 * 1024;

/**
 * Collects log lines and hands them to `destination` together: one write per `flushMs` (or per 64 KiB)
 * instead of one per line. Each write to a file or pipe costs the event loop a stream pass and a thread-pool
 * round trip; under load that was most of what a cheap request (GET /healthz) cost above a bare route.
 * Lines stay whole and in order; they reach the destination at most `flushMs` late, and `flush()` (called
 * when the HTTP server closes) writes what is pending. A crash loses at most that much of the request log.
 */
export class LineBatch implements DestinationStream {
  private pending: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly destination: DestinationStream,
    private readonly flushMs = REQUEST_LOG_FLUSH_MS,
  ) {}

  write(line: string): void {
    if (this.flushMs <= 0) {
      this.destination.write(line);
      return;
    }
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= MAX_BATCH_CHARS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.chars = 0;
    this.destination.write(text);
  }
}
