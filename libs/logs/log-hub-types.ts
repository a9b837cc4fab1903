import type { SourceLogLine } from './log-entry.js';
import type { SendLogs } from './log-subscriber.js';

/**
 * Opens one container's log follow. `since` is undefined when a watch starts (begin near "now", e.g. with a
 * short tail) and the last timestamp seen when reopening after an error (rounding it down, e.g. to a Date's
 * milliseconds, is fine: repeated lines are skipped; rounding up would lose lines). Must end when `signal`
 * fires. It may yield lines one by one or in batches (the lines that arrived together, in order): the hub
 * takes a batch at once and tells subscribers once per batch, so a busy follow is cheaper read in batches.
 */
export type OpenLogs = (
  since: string | undefined,
  signal: AbortSignal,
) => AsyncIterable<SourceLogLine | SourceLogLine[]>;

export interface AttachOptions {
  app: string;
  /** The container id: one upstream follow per key, however many subscribers. */
  key: string;
  /** What the lines show as their container when it is not `key` (a router's log, followed per app). */
  containerId?: string;
  replica: string;
  open: OpenLogs;
  /** Put "replica <id> started" in the app's log (for a container that started while the app is watched). */
  announce?: boolean;
}

export interface SubscribeOptions {
  app: string;
  /** Resume after this cursor (from `cursorOf`); without it, live lines only. Throws InvalidCursorError. */
  fromCursor?: string;
  /** How far behind this subscriber may fall before its oldest waiting lines are dropped. */
  maxBufferedLines: number;
  send: SendLogs;
}

export interface LogSubscription {
  unsubscribe(): void;
  /** Call when the client's buffer drained after `send` returned false. */
  resume(): void;
  readonly queuedLines: number;
  readonly droppedLines: number;
}

export interface LogHubOptions {
  /** Per-app ring, shared by the app's subscribers and used for resume (defaults 10,000 lines, 8 MiB). */
  ringLines?: number;
  ringBytes?: number;
  /**
   * Line text bytes of every ring of the hub together (default 64 MiB): past it, lines that every subscriber
   * of their ring already has are evicted, least recently written rings first, then (if that is not
   * enough) the oldest lines of the largest rings, down to 7/8 of it. A process archiving or streaming many
   * chatty apps holds this much, not apps × ringBytes.
   */
  totalRingBytes?: number;
  /** Longer lines are cut (default 16 KiB). */
  maxLineBytes?: number;
  /** Lines per `send` (default 256; capped so a batch always fits in the ring). */
  batchLines?: number;
  /** How long an app's follows and ring outlive its last subscriber, for reconnects (default 0). */
  lingerMs?: number;
  /** Reopens of a failing follow (with `since`), spaced by delayMs, before giving up (default 3 × 1 s). */
  retry?: { attempts: number; delayMs: number };
  /** Called when an app gets its first subscriber; `signal` fires when the hub stops watching it. Lets the
   * caller attach the app's containers on demand (and detach them when the signal fires). */
  watchApp?: (app: string, signal: AbortSignal) => void | Promise<void>;
  /** Timestamp of system lines (default: the clock). */
  now?: () => string;
}
