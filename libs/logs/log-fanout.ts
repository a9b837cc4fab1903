import {
  type AppLogEntryWithoutSeq,
  type SourceLogLine,
  OrdinalCounter,
  compareLogPositions,
  limitTextBytes,
  normalizeTimestamp,
  parseCursor,
} from './log-entry.js';
import { LogRing } from './log-ring.js';
import type { AttachOptions, LogHubOptions, LogSubscription, SubscribeOptions } from './log-hub-types.js';
import { LogSubscriber, resumePoint } from './log-subscriber.js';

export type {
  AttachOptions,
  LogHubOptions,
  LogSubscription,
  OpenLogs,
  SubscribeOptions,
} from './log-hub-types.js';

interface Attachment extends AttachOptions {
  controller: AbortController | undefined;
  ordinals: OrdinalCounter;
  systemOrdinals: OrdinalCounter;
  /** The last line taken from the follow: on a reopen, lines up to it are skipped. */
  last: { timestamp: string; ordinal: number } | undefined;
  resyncing: boolean;
}

interface AppSession {
  ring: LogRing;
  /** The hub's append count at this ring's last append (which rings are idle). */
  lastAppend: number;
  subscribers: Set<LogSubscriber>;
  watch: AbortController;
  linger: NodeJS.Timeout | undefined;
}

/**
 * The live side of app logs: one upstream follow per container, fanned out to every subscriber of its app.
 *
 * - Containers are registered with `attach` (directly, or from `watchApp`). Their follows run only while
 *   the app has subscribers (plus `lingerMs`): when the last subscriber leaves, every follow of the app is
 *   aborted and the app's ring is freed; registrations stay until `detach` or until the follow ends.
 * - A follow that ends means the container stopped: "replica X stopped" goes into the app's log and the
 *   registration is removed. A follow that fails is reopened from its last timestamp (duplicates skipped).
 * - Order: the lines of one container keep their order; across containers the live order is arrival order
 *   (each line carries its timestamp; the REST endpoint gives the time-merged view).
 * - Each app has one ring of entries numbered by seq. A subscriber is a position in that ring, so a slow
 *   one never costs memory: past `maxBufferedLines` its oldest waiting lines are skipped and it gets
 *   `{ type: 'dropped', count }` before its next lines. Fast subscribers do not wait for slow ones.
 * - Resume: a cursor names a line (timestamp, replica, ordinal) and the ring seq it had. The subscriber
 *   continues right after that line, from the ring, then live: no gap, no repeat.
 */
export class LogHub {
  private readonly attachments = new Map<string, Attachment>();
  private readonly sessions = new Map<string, AppSession>();
  private seqFloor = 1;
  /** Line text bytes held by every ring (LogHubOptions.totalRingBytes bounds it). */
  private ringBytes = 0;
  private appends = 0;
  private readonly options: Required<Omit<LogHubOptions, 'watchApp'>> & Pick<LogHubOptions, 'watchApp'>;

  constructor(options: LogHubOptions = {}) {
    this.options = {
      ringLines: 10_000,
      ringBytes: 8 * 1024 * 1024,
      totalRingBytes: 64 * 1024 * 1024,
      maxLineBytes: 16 * 1024,
      batchLines: 256,
      lingerMs: 0,
      retry: { attempts: 3, delayMs: 1000 },
      now: () => normalizeTimestamp(new Date().toISOString()),
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as LogHubOptions),
    };
  }

  /** Registers a container of `app` (idempotent per key) and follows it while the app is watched. */
  attach(options: AttachOptions): () => void {
    const existing = this.attachments.get(options.key);
    if (existing && existing.app !== options.app)
      throw new Error(`container ${options.key} is attached to another app`);
    const attachment: Attachment = existing ?? {
      ...options,
      controller: undefined,
      ordinals: new OrdinalCounter(),
      systemOrdinals: new OrdinalCounter(),
      last: undefined,
      resyncing: false,
    };
    if (!existing) {
      this.attachments.set(options.key, attachment);
      if (this.sessions.has(options.app)) {
        if (options.announce) this.system(attachment, `replica ${options.replica} started`);
        this.start(attachment);
      }
    }
    return () => this.detach(attachment);
  }

  subscribe(options: SubscribeOptions): LogSubscription {
    const { app, maxBufferedLines } = options;
    if (!Number.isSafeInteger(maxBufferedLines) || maxBufferedLines < 1) {
      throw new RangeError('maxBufferedLines must be a positive integer');
    }
    const cursor = options.fromCursor === undefined ? undefined : parseCursor(options.fromCursor);
    const session = this.sessions.get(app) ?? this.activate(app);
    if (session.linger) clearTimeout(session.linger);
    session.linger = undefined;
    // A subscriber that keeps up sends every `batch` lines at the latest, so batch lines must fit in the ring
    // (by lines and, at maxLineBytes each, by bytes): then a fast subscriber never loses a line to eviction.
    const { batchLines, ringLines, ringBytes, maxLineBytes } = this.options;
    const batch = Math.max(
      1,
      Math.min(batchLines, maxBufferedLines, ringLines, Math.floor(ringBytes / maxLineBytes)),
    );
    const subscriber: LogSubscriber = new LogSubscriber(
      session.ring,
      cursor ? resumePoint(session.ring, cursor) : { position: session.ring.newestSeq, unknownGap: false },
      maxBufferedLines,
      batch,
      options.send,
      () => this.leave(app, session, subscriber),
    );
    session.subscribers.add(subscriber);
    subscriber.schedule();
    return {
      unsubscribe: () => this.leave(app, session, subscriber),
      resume: () => subscriber.resume(),
      get queuedLines() {
        return subscriber.queuedLines;
      },
      get droppedLines() {
        return subscriber.droppedLines;
      },
    };
  }

  /** Stops every follow and forgets every subscriber and registration. */
  close(): void {
    for (const [app, session] of this.sessions) this.deactivate(app, session);
    this.attachments.clear();
  }

  stats(): { apps: number; upstreams: number; subscribers: number; ringBytes: number } {
    let upstreams = 0;
    for (const a of this.attachments.values()) if (a.controller) upstreams++;
    let subscribers = 0;
    for (const s of this.sessions.values()) subscribers += s.subscribers.size;
    return { apps: this.sessions.size, upstreams, subscribers, ringBytes: this.ringBytes };
  }

  private activate(app: string): AppSession {
    // Seqs start above every seq this hub handed out before, and above those of earlier processes (clock
    // based), so a cursor from an earlier ring is never mistaken for a position in this one.
    const firstSeq = Math.max(Date.now() * 1000, this.seqFloor);
    const ring = new LogRing({
      maxLines: this.options.ringLines,
      maxBytes: this.options.ringBytes,
      firstSeq,
    });
    const session: AppSession = {
      ring,
      lastAppend: this.appends,
      subscribers: new Set(),
      watch: new AbortController(),
      linger: undefined,
    };
    this.sessions.set(app, session);
    for (const attachment of this.attachments.values()) if (attachment.app === app) this.start(attachment);
    try {
      void Promise.resolve(this.options.watchApp?.(app, session.watch.signal)).catch((e: unknown) =>
        this.appSystem(app, `log sources unavailable: ${message(e)}`),
      );
    } catch (e) {
      this.appSystem(app, `log sources unavailable: ${message(e)}`);
    }
    return session;
  }

  private leave(app: string, session: AppSession, subscriber: LogSubscriber): void {
    subscriber.close();
    if (!session.subscribers.delete(subscriber) || session.subscribers.size > 0) return;
    if (this.sessions.get(app) !== session) return;
    if (this.options.lingerMs <= 0) this.deactivate(app, session);
    else session.linger = setTimeout(() => this.deactivate(app, session), this.options.lingerMs);
  }

  private deactivate(app: string, session: AppSession): void {
    if (session.linger) clearTimeout(session.linger);
    for (const subscriber of session.subscribers) subscriber.close();
    session.subscribers.clear();
    this.sessions.delete(app);
    this.ringBytes -= session.ring.bytes;
    this.seqFloor = Math.max(this.seqFloor, session.ring.newestSeq + 1);
    session.watch.abort();
    for (const attachment of this.attachments.values()) {
      if (attachment.app !== app || !attachment.controller) continue;
      attachment.controller.abort();
      attachment.controller = undefined;
    }
  }

  private detach(attachment: Attachment): void {
    if (this.attachments.get(attachment.key) !== attachment) return;
    this.attachments.delete(attachment.key);
    attachment.controller?.abort();
    attachment.controller = undefined;
  }

  private start(attachment: Attachment): void {
    if (attachment.controller) return;
    const controller = new AbortController();
    attachment.controller = controller;
    attachment.last = undefined; // a new watch starts near "now", not where an earlier one stopped
    void this.pump(attachment, controller.signal);
  }

  /** Reads one container's follow into its app's ring until the follow ends, fails for good, or is aborted. */
  private async pump(attachment: Attachment, signal: AbortSignal): Promise<void> {
    let since: string | undefined;
    for (let failures = 0; ;) {
      attachment.ordinals = new OrdinalCounter();
      attachment.resyncing = attachment.last !== undefined;
      try {
        for await (const item of attachment.open(since, signal)) {
          if (signal.aborted) return;
          const session = this.sessions.get(attachment.app);
          if (!session) continue;
          if (Array.isArray(item)) this.takeBatch(session, attachment, item);
          else {
            this.take(session, attachment, item);
            this.notify(session);
          }
          failures = 0;
        }
        if (signal.aborted) return;
        return this.end(attachment, `replica ${attachment.replica} stopped`);
      } catch (error) {
        if (signal.aborted) return;
        if (++failures > this.options.retry.attempts) {
          return this.end(attachment, `replica ${attachment.replica} logs unavailable: ${message(error)}`);
        }
        since = attachment.last?.timestamp;
        await sleep(this.options.retry.delayMs, signal);
        if (signal.aborted) return;
      }
    }
  }

  /**
   * A batch of a follow into the ring. Subscribers are told when one of them has a full send waiting (as
   * often as if told of every line, so one that keeps up sends every line before the ring evicts it: its
   * send fits in the ring, see `subscribe`), and at the end of the batch: not once per line.
   */
  private takeBatch(session: AppSession, attachment: Attachment, lines: SourceLogLine[]): void {
    let next = linesUntilASend(session.subscribers);
    let untold = 0;
    for (const line of lines) {
      this.take(session, attachment, line);
      if (++untold >= next) {
        this.notify(session);
        untold = 0;
        next = linesUntilASend(session.subscribers);
      }
    }
    if (untold > 0) this.notify(session);
  }

  /** Puts one line in the app's ring (subscribers are told by the caller: notify). */
  private take(session: AppSession, attachment: Attachment, line: SourceLogLine): void {
    const timestamp = validTimestamp(line.timestamp) ?? attachment.last?.timestamp ?? this.options.now();
    const ordinal = attachment.ordinals.next(timestamp);
    const position = { timestamp, ordinal, replica: attachment.replica };
    if (attachment.resyncing) {
      // Reopened with `since`: the engine repeats lines from that instant (or from earlier, if it rounds).
      if (compareLogPositions(position, { ...attachment.last!, replica: attachment.replica }) <= 0) return;
      attachment.resyncing = false;
    }
    attachment.last = { timestamp, ordinal };
    const text = limitTextBytes(line.text, this.options.maxLineBytes);
    const { replica } = attachment;
    const containerId = attachment.containerId ?? attachment.key;
    this.appendTo(session, { timestamp, replica, containerId, stream: line.stream, text, ordinal });
  }

  private end(attachment: Attachment, text: string): void {
    if (this.attachments.get(attachment.key) === attachment) this.attachments.delete(attachment.key);
    attachment.controller = undefined;
    this.system(attachment, text);
  }

  private system(attachment: Attachment, text: string): void {
    const timestamp = this.options.now();
    const ordinal = attachment.systemOrdinals.next(timestamp);
    const { replica } = attachment;
    const containerId = attachment.containerId ?? attachment.key;
    text = limitTextBytes(text, this.options.maxLineBytes);
    this.append(attachment.app, { timestamp, replica, containerId, stream: 'system', text, ordinal });
  }

  private appSystem(app: string, text: string): void {
    this.append(app, {
      timestamp: this.options.now(),
      replica: '',
      containerId: '',
      stream: 'system',
      text: limitTextBytes(text, this.options.maxLineBytes),
      ordinal: 0,
    });
  }

  private append(app: string, entry: AppLogEntryWithoutSeq): void {
    const session = this.sessions.get(app);
    if (!session) return;
    this.appendTo(session, entry);
    this.notify(session);
  }

  private appendTo(session: AppSession, entry: AppLogEntryWithoutSeq): void {
    const before = session.ring.bytes;
    session.ring.append(entry);
    session.lastAppend = ++this.appends;
    this.ringBytes += session.ring.bytes - before;
    if (this.ringBytes > this.options.totalRingBytes) this.trimRings();
  }

  /**
   * Over totalRingBytes: frees lines every subscriber of their ring already has, least recently written
   * rings first, then the oldest lines of the largest rings (subscribers behind get them as dropped), down
   * to 7/8 of the cap, so this runs once per eighth of the cap appended, not per line.
   */
  private trimRings(): void {
    const target = (this.options.totalRingBytes * 7) / 8;
    const sessions = [...this.sessions.values()].sort((a, b) => a.lastAppend - b.lastAppend);
    for (const session of sessions) {
      if (this.ringBytes <= target) return;
      let throughSeq = session.ring.newestSeq;
      for (const subscriber of session.subscribers) throughSeq = Math.min(throughSeq, subscriber.lastSeq);
      this.ringBytes -= session.ring.evictOldest({ throughSeq, bytes: this.ringBytes - target });
    }
    sessions.sort((a, b) => b.ring.bytes - a.ring.bytes);
    for (const session of sessions) {
      if (this.ringBytes <= target) return;
      this.ringBytes -= session.ring.evictOldest({ throughSeq: Infinity, bytes: this.ringBytes - target });
    }
  }

  private notify(session: AppSession): void {
    for (const subscriber of session.subscribers) subscriber.onAppend(); // (a Set survives deletes meanwhile)
  }
}

/** New lines after which the first subscriber that is not blocked has a full send waiting. */
function linesUntilASend(subscribers: Iterable<LogSubscriber>): number {
  let lines = Infinity;
  for (const subscriber of subscribers) {
    if (!subscriber.isBlocked)
      lines = Math.min(lines, Math.max(1, subscriber.batchLines - subscriber.queuedLines));
  }
  return lines;
}

/** A malformed timestamp (never seen from Docker) must not end the follow: the line keeps the previous one. */
function validTimestamp(timestamp: string): string | undefined {
  try {
    return normalizeTimestamp(timestamp);
  } catch {
    return undefined;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
