import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../../control-loop/index.js';
import { EnginePool } from '../../hosts/index.js';
import { type Replica, ReplicasRepository } from '../../runtime/index.js';
import { type AppLogEntryWithoutSeq, type LogPosition, compareLogPositions } from '../log-entry.js';
import type { LogHub } from '../log-fanout.js';
import type { LogSubscription } from '../log-hub-types.js';
import type { LogDelivery } from '../log-subscriber.js';
import { LOG_HUB } from '../log-streams.service.js';
import {
  ArchiveQueue,
  appIdOf,
  type ArchiveItem,
  type ArchivedLine,
  DailyByteCap,
  isAfter,
  lineBytes,
  newestPerReplica,
} from './archive-batch.js';
import { BatchFlusher } from './batch-flusher.js';
import { type ArchiveWrite, LogArchiveStore, utcDay } from './log-archive-store.js';
import { catchUpReplica } from './replica-catch-up.js';
import { type ReplicaTrack, ReplicaTracks } from './replica-tracks.js';

/** How often the archived apps, their replicas and the partitions are checked. */
export const ARCHIVE_PASS_MS = 1000;
/** A batch goes to the store at this many lines, or this long after its first line (or the write before). */
export const ARCHIVE_BATCH_LINES = 1000;
export const ARCHIVE_BATCH_DELAY_MS = 250;
/** What may wait for the store at most: past it lines are dropped (and re-read from the engine later). */
export const ARCHIVE_QUEUE_LINES = 50_000;
export const ARCHIVE_QUEUE_BYTES = 64 * 1024 * 1024;
/** A process whose last pass is this old lost the lock or its database: it stops archiving. */
const ARCHIVE_LEASE_MS = 15_000;
/** An app without live replicas keeps its subscription this long (its last lines may still come). */
const SESSION_LINGER_MS = 30_000;
/** Engine reads that catch a replica up from its watermark, at once at most. */
const CATCH_UPS_AT_ONCE = 4;

interface ArchiveSession {
  appId: string;
  subscription: LogSubscription;
  /** Goes up at every loss on the live path; a catch-up started before the loss does not sync the app. */
  epoch: number;
  idleSince: number | undefined;
}

/**
 * Keeps every running app's stdout/stderr lines in PostgreSQL (LogArchiveStore) beyond its containers'
 * life, in the process that runs the workers (LOCK_KEYS.logArchive: one process at a time).
 *
 * Live lines come from the process's LogHub (one subscription per app, so a replica still has one Docker
 * follow however many drains, streams and this archiver read it); router and Berth's `system` lines are not
 * kept (the router's are in the router's own log, `system` lines have no position in a replica's log).
 * They wait in one bounded queue and go to the store in batches (ARCHIVE_BATCH_LINES or
 * ARCHIVE_BATCH_DELAY_MS), each one multi-row INSERT with the day counts and watermarks in one transaction.
 *
 * A replica's watermark (its last position all of whose lines up to it are stored) moves only while the
 * replica is synced: after a catch-up, one finite engine read from its watermark (Docker's `since`, lines
 * at or before the watermark skipped) to the end of its log, which covers everything before the live
 * follow began. A loss on the live path (the hub skipped lines of a slow subscriber, the queue was full, a
 * write failed) unsyncs the app's replicas, and the next pass catches them up again from their watermarks:
 * lines come back as long as the container still has them. Re-sent lines are no-ops (primary key).
 */
@Injectable()
export class LogArchiver implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LogArchiver');
  private readonly loop: ControlLoop;
  private readonly sessions = new Map<string, ArchiveSession>();
  private readonly tracks = new ReplicaTracks();
  private readonly allowance = new Map<string, number>();
  private readonly queue = new ArchiveQueue({ maxLines: ARCHIVE_QUEUE_LINES, maxBytes: ARCHIVE_QUEUE_BYTES });
  private readonly cap = new DailyByteCap();
  private readonly catchUps = new AbortController();
  private catchUpsRunning = 0;
  private partitionsDay: string | undefined;
  private readonly flusher = new BatchFlusher(this.queue, {
    batchLines: ARCHIVE_BATCH_LINES,
    delayMs: ARCHIVE_BATCH_DELAY_MS,
    write: (items) => this.writeItems(items, { moveWatermarks: true }),
  });
  private lastPass: Promise<void> = Promise.resolve();
  private lastPassAt = 0;
  private leaseCheck: NodeJS.Timeout | undefined;
  private queueDrops = 0;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOG_HUB) private readonly hub: LogHub,
    @InjectDataSource() dataSource: DataSource,
    private readonly store: LogArchiveStore,
    private readonly replicaRows: ReplicasRepository,
    private readonly pool: EnginePool,
  ) {
    this.loop = new ControlLoop({
      name: 'LogArchiver',
      lockKey: LOCK_KEYS.logArchive,
      intervalMs: ARCHIVE_PASS_MS,
      dataSource,
      work: () => this.runPass(),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers || !this.config.logArchive) return;
    this.loop.start();
    this.leaseCheck = setInterval(() => {
      if (this.sessions.size > 0 && Date.now() - this.lastPassAt > ARCHIVE_LEASE_MS) {
        this.logger.warn('no archive pass for a while (lock lost?): this process stops archiving');
        this.stopAll();
      }
    }, ARCHIVE_PASS_MS);
    this.leaseCheck.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.leaseCheck) clearInterval(this.leaseCheck);
    await this.loop.stop();
    await this.lastPass;
    this.catchUps.abort();
    this.stopAll();
    await this.flush();
  }

  /** For tests and operators: what this process archives, and what it dropped from a full queue. */
  stats(): { apps: number; queued: number; queueDrops: number; catchUps: number } {
    return {
      apps: this.sessions.size,
      queued: this.queue.size,
      queueDrops: this.queueDrops,
      catchUps: this.catchUpsRunning,
    };
  }

  /** One pass; passes never overlap (a test may call this beside the loop). */
  runPass(): Promise<void> {
    const pass = this.lastPass.then(() => this.reconcile());
    this.lastPass = pass.catch(() => undefined);
    return pass;
  }

  /** Writes everything that waits now (tests; shutdown). */
  flush(): Promise<void> {
    return this.flusher.writeQueued({ all: true });
  }

  private async reconcile(): Promise<void> {
    const today = await this.readyDay();
    const live = new Set(await this.replicaRows.appIdsWithLiveReplicas());
    const settings = await this.store.settingsOf([...new Set([...live, ...this.sessions.keys()])]);
    const existing = new Set(settings.map((s) => s.appId));
    for (const s of settings) this.allowance.set(s.appId, s.bytesPerDay);
    const now = Date.now();
    for (const session of [...this.sessions.values()]) {
      if (!existing.has(session.appId)) this.stopSession(session);
      else if (live.has(session.appId)) session.idleSince = undefined;
      else if ((session.idleSince ??= now) < now - SESSION_LINGER_MS) this.stopSession(session);
    }
    const starting = [...live].filter((id) => existing.has(id) && !this.sessions.has(id));
    if (starting.length > 0) await this.startSessions(starting, today);
    const replicas =
      this.sessions.size > 0
        ? await this.replicaRows.startedWithContainerOfApps([...this.sessions.keys()])
        : [];
    const listed = new Set(replicas.map((r) => r.id));
    // A replica that stopped before it was caught up (a short-lived one): its stopped container still has
    // its log, or, when it is gone, what the live path stored is all there is.
    for (const [id, track] of this.tracks.entries()) {
      if (listed.has(id) || !track.seen || track.synced || track.catchingUp) continue;
      replicas.push(await this.replicaRows.byId(id).catch(() => undefined as unknown as Replica));
    }
    for (const replica of replicas) {
      if (!replica) continue;
      const track = this.tracks.of(replica.id, replica.appId);
      track.seen = true;
      if (!track.synced && !track.catchingUp && this.catchUpsRunning < CATCH_UPS_AT_ONCE) {
        void this.catchUp(replica, track);
      }
    }
    this.lastPassAt = Date.now();
  }

  /** Today's UTC day, once its partitions exist (checked at the first write of each day). */
  private async readyDay(): Promise<string> {
    const today = utcDay();
    if (this.partitionsDay !== today) {
      const { created, dropped } = await this.store.ensurePartitions(today);
      if (created.length + dropped.length > 0) {
        this.logger.log(`log partitions: ${created.length} created, ${dropped.length} expired ones dropped`);
      }
      this.partitionsDay = today;
    }
    return today;
  }

  private async startSessions(appIds: string[], today: string): Promise<void> {
    for (const mark of await this.store.watermarksOf(appIds)) {
      this.tracks.raiseWatermark(mark.replica, mark.appId, mark);
    }
    const kept = await this.store.bytesKeptOn(appIds, today);
    for (const appId of appIds) {
      this.cap.load(appId, today, kept.get(appId) ?? 0);
      const session: ArchiveSession = {
        appId,
        epoch: 0,
        idleSince: undefined,
        subscription: undefined as unknown as LogSubscription,
      };
      this.sessions.set(appId, session);
      session.subscription = this.hub.subscribe({
        app: appId,
        maxBufferedLines: 10_000,
        send: (delivery) => this.take(session, delivery),
      });
    }
  }

  private stopSession(session: ArchiveSession): void {
    if (this.sessions.get(session.appId) !== session) return;
    this.sessions.delete(session.appId);
    session.subscription.unsubscribe();
    this.cap.forget(session.appId);
    this.tracks.forgetApp(session.appId);
  }

  private stopAll(): void {
    for (const session of [...this.sessions.values()]) this.stopSession(session);
  }

  /** Lines lost on the live path: the app's replicas are caught up from their watermarks again. */
  private unsync(appId: string): void {
    const session = this.sessions.get(appId);
    if (session) session.epoch += 1;
    this.tracks.unsyncApp(appId);
  }

  /** The hub's delivery (never blocks the hub: a full queue drops instead). */
  private take(session: ArchiveSession, delivery: LogDelivery): boolean {
    if (this.sessions.get(session.appId) !== session) return true;
    if (!Array.isArray(delivery)) {
      this.unsync(session.appId);
      return true;
    }
    const today = utcDay();
    for (const entry of delivery) {
      if (entry.stream !== 'stdout' && entry.stream !== 'stderr') continue;
      const track = this.tracks.of(entry.replica, session.appId);
      track.seen = true;
      if (!isAfter(entry, track.watermark)) continue;
      if (!this.offer(session.appId, entry, today)) {
        this.queueDrops += 1;
        this.unsync(session.appId);
      }
    }
    this.flusher.schedule();
    return true;
  }

  /** Counts the line against the app's daily bytes and queues it (or its refusal). False: the queue is full. */
  private offer(appId: string, entry: AppLogEntryWithoutSeq, today: string): boolean {
    const line = {
      appId,
      replica: entry.replica,
      containerId: entry.containerId,
      stream: entry.stream as 'stdout' | 'stderr',
      timestamp: entry.timestamp,
      ordinal: entry.ordinal,
      text: entry.text,
    };
    if (!this.queue.hasRoom(lineBytes(line))) return false;
    return this.queue.offer(this.admit(line, today));
  }

  /** The line, if the app's plan still allows its bytes today; else its refusal (counted either way). */
  private admit(line: ArchivedLine, today = utcDay()): ArchiveItem {
    const allowance = this.allowance.get(line.appId) ?? 0;
    return this.cap.admit(line.appId, today, lineBytes(line), allowance) ? { line } : { refused: line };
  }

  /** One batch to the store; on failure the apps of its lines are caught up again from their watermarks. */
  private async writeItems(items: ArchiveItem[], options: { moveWatermarks: boolean }): Promise<void> {
    let today: string;
    try {
      today = await this.readyDay();
    } catch (error) {
      this.logger.warn(`log partitions unavailable: ${(error as Error).message}`);
      for (const appId of new Set(items.map(appIdOf))) this.unsync(appId);
      return;
    }
    const newest = newestPerReplica(items);
    const write: ArchiveWrite = {
      today,
      lines: items.flatMap((item) => ('line' in item ? [item.line] : [])),
      watermarks: [],
      days: this.cap.pending(today),
    };
    if (options.moveWatermarks) {
      for (const [replica, { appId, position }] of newest) {
        if (this.tracks.get(replica)?.synced)
          write.watermarks.push({ appId, replica, timestamp: position.timestamp, ordinal: position.ordinal });
      }
    }
    try {
      await this.store.write(write);
    } catch (error) {
      this.logger.warn(`${items.length} log lines not archived yet: ${(error as Error).message}`);
      this.cap.restore(today, write.days);
      for (const appId of new Set(items.map(appIdOf))) this.unsync(appId);
      return;
    }
    for (const [replica, { position }] of newest) this.tracks.raiseStored(replica, position);
    for (const mark of write.watermarks) this.tracks.raiseWatermark(mark.replica, mark.appId, mark);
  }

  /**
   * Reads the replica's log from its watermark to its end (finite, no follow) into the store, then marks it
   * synced with its watermark at the newest line stored. A container that is gone has nothing more to give:
   * the replica is synced with what was stored.
   */
  private async catchUp(replica: Replica, track: ReplicaTrack): Promise<void> {
    const session = this.sessions.get(replica.appId);
    if (!session) return;
    if (!replica.containerId) {
      track.synced = true; // never had a container: no lines
      return;
    }
    const epoch = session.epoch;
    track.catchingUp = true;
    this.catchUpsRunning += 1;
    let outcome: { complete: boolean; newest: LogPosition | undefined } = {
      complete: false,
      newest: undefined,
    };
    try {
      outcome = await catchUpReplica({
        pool: this.pool,
        replica: { ...replica, containerId: replica.containerId },
        watermark: track.watermark,
        chunkLines: ARCHIVE_BATCH_LINES,
        signal: this.catchUps.signal,
        admit: (line) => this.admit(line),
        write: (items) => this.writeItems(items, { moveWatermarks: false }),
        wanted: () => this.sessions.get(replica.appId) === session,
      });
    } catch (error) {
      if (!this.catchUps.signal.aborted) {
        this.logger.warn(`catching up the log of replica ${replica.id}: ${(error as Error).message}`);
      }
    } finally {
      track.catchingUp = false;
      this.catchUpsRunning -= 1;
    }
    const { complete, newest } = outcome;
    if (!complete || session.epoch !== epoch || this.sessions.get(replica.appId) !== session) return;
    const position = [newest, track.storedMax]
      .filter((p): p is LogPosition => p !== undefined)
      .sort(compareLogPositions)
      .at(-1);
    track.synced = true;
    if (!position) return;
    try {
      await this.store.saveWatermark(await this.readyDay(), {
        appId: replica.appId,
        replica: replica.id,
        timestamp: position.timestamp,
        ordinal: position.ordinal,
      });
      this.tracks.raiseWatermark(replica.id, replica.appId, position);
    } catch (error) {
      track.synced = false;
      this.logger.warn(`watermark of replica ${replica.id} not saved: ${(error as Error).message}`);
    }
  }
}
