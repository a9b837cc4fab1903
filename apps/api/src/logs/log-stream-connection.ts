import WebSocket from 'ws';
import { ProblemError } from '../../../../libs/errors/index.js';

/** Close codes of the log streams (docs/logs.md). Refusals are 4000 + the HTTP status REST would answer. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  internalError: 1011,
  badRequest: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  notFound: 4404,
  tooManyStreams: 4429,
} as const;

/** How long a closing peer gets to answer the close frame before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

/**
 * One log-stream WebSocket: JSON messages with backpressure, heartbeat state, and an idempotent close.
 *
 * Backpressure counts the bytes handed to the socket whose write has not completed yet (ws calls each
 * send's callback once the bytes reached the kernel). Past `highWaterBytes`, `send` returns false: the
 * feed stops sending (its lines wait in the hub's bounded ring) until half of it was flushed, then
 * `onDrain` runs. A client that stops reading therefore holds at most highWaterBytes plus one message here.
 */
export class LogStreamConnection {
  /** Set by the heartbeat on ping, cleared on pong: a peer still false at the next ping is dead. */
  awaitingPong = false;
  /** The app this stream reads (for closing the streams of a deleted app). */
  appId: string | undefined;
  /** Lines waiting in the hub for this stream, and lines it lost so far (app streams). */
  feedStats: (() => { queuedLines: number; droppedLines: number }) | undefined;
  private pendingBytes = 0;
  private full = false;
  private drainListener: (() => void) | undefined;
  private readonly disposers: (() => void)[] = [];
  private closing = false;
  private disposed = false;

  constructor(
    readonly ws: WebSocket,
    private readonly highWaterBytes: number,
  ) {
    ws.on('close', () => this.dispose());
  }

  /** True once the stream is closing or closed: nothing more is sent. */
  get closed(): boolean {
    return this.closing || this.disposed || this.ws.readyState !== WebSocket.OPEN;
  }

  /** Bytes handed to the socket and not yet flushed to the kernel. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Sends one JSON message; false when the client's buffer is full (call again after `onDrain`). */
  send(message: object): boolean {
    if (this.closed) return false;
    // Encoded once here: ws would encode a string again, and its length in bytes is needed anyway.
    const data = Buffer.from(JSON.stringify(message));
    const bytes = data.length;
    this.pendingBytes += bytes;
    this.ws.send(data, { binary: false }, (error) => this.flushed(bytes, error));
    if (this.pendingBytes > this.highWaterBytes) this.full = true;
    return !this.full;
  }

  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  /** Resolves when the buffer drained (or the stream closed). */
  drained(): Promise<void> {
    if (!this.full || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.drainListener;
      this.drainListener = () => {
        this.drainListener = previous;
        resolve();
      };
      this.onDispose(resolve);
    });
  }

  /** Runs once when the socket is closed (slot release, feed close). */
  onDispose(disposer: () => void): void {
    if (this.disposed) disposer();
    else this.disposers.push(disposer);
  }

  close(code: number, reason: string): void {
    if (this.closing || this.disposed) return;
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason.slice(0, 120));
      // A peer that does not read never answers the close frame.
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
    this.dispose();
  }

  /** Ends the stream with a refusal: 4000 + the HTTP status of the problem, its code as the reason. */
  refuse(error: unknown): { code: number; reason: string } {
    const refusal =
      error instanceof ProblemError && error.status >= 400 && error.status < 500
        ? { code: 4000 + error.status, reason: error.code }
        : { code: CLOSE.internalError, reason: 'internal_error' };
    if (!this.closed && error instanceof ProblemError) {
      this.send({
        type: 'error',
        status: error.status,
        code: error.code,
        detail: error.detail ?? error.title,
      });
    }
    this.close(refusal.code, refusal.reason);
    return refusal;
  }

  terminate(): void {
    this.ws.terminate();
    this.dispose();
  }

  private flushed(bytes: number, error: Error | undefined | null): void {
    this.pendingBytes -= bytes;
    if (!this.full || error || this.pendingBytes > this.highWaterBytes / 2) return;
    this.full = false;
    this.drainListener?.();
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const disposer of this.disposers.splice(0)) {
      try {
        disposer();
      } catch {
        // a disposer failing must not keep the others from running
      }
    }
  }
}
