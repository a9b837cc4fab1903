import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { BuildLogLine } from './build-log-line.entity.js';

export interface BuildLogEntry {
  seq: number;
  at: string;
  text: string;
}

const MAX_LINE = 4000;
/** A build that prints more than this keeps only its first lines and a note (bounded storage). */
export const MAX_LINES_PER_BUILD = 20_000;

/**
 * A build's log: lines stored in PostgreSQL with a monotonic per-build `seq` (readers resume by cursor)
 * and pushed to in-process listeners as they are written, so a follower sees them live.
 */
@Injectable()
export class BuildLogStore {
  private readonly live = new EventEmitter();
  private readonly nextSeq = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.live.setMaxListeners(0);
  }

  private readonly writes = new Map<string, Promise<void>>();

  /** Appends in call order: writes of one build are chained so their `seq` never collide. */
  append(buildId: string, texts: string[]): Promise<void> {
    const previous = this.writes.get(buildId) ?? Promise.resolve();
    const next = previous.then(() => this.write(buildId, texts));
    const settled = next.catch(() => undefined);
    this.writes.set(buildId, settled);
    void settled.then(() => {
      if (this.writes.get(buildId) === settled) this.writes.delete(buildId);
    });
    return next;
  }

  private async write(buildId: string, texts: string[]): Promise<void> {
    if (texts.length === 0) return;
    let seq = this.nextSeq.get(buildId) ?? (await this.lastSeq(buildId)) + 1;
    if (seq > MAX_LINES_PER_BUILD) return;
    const at = new Date();
    const rows = texts.map((text) => ({ buildId, seq: seq++, at, text: storedLineText(text) }));
    if (seq > MAX_LINES_PER_BUILD)
      rows.push({
        buildId,
        seq: seq++,
        at,
        text: `[berth] log truncated after ${MAX_LINES_PER_BUILD} lines`,
      });
    this.nextSeq.set(buildId, seq);
    await this.dataSource.getRepository(BuildLogLine).insert(rows);
    this.live.emit(
      buildId,
      rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), text: r.text })),
    );
  }

  async read(buildId: string, afterSeq = 0, limit = 5000): Promise<BuildLogEntry[]> {
    const rows = await this.dataSource.query(
      `SELECT seq, at, text FROM build_log_lines WHERE build_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [buildId, afterSeq, limit],
    );
    return rows.map((r: { seq: number; at: Date; text: string }) => ({
      seq: r.seq,
      at: r.at.toISOString(),
      text: r.text,
    }));
  }

  /** Lines appended from now on, for followers; returns the unsubscribe function. */
  subscribe(buildId: string, listener: (lines: BuildLogEntry[]) => void): () => void {
    this.live.on(buildId, listener);
    return () => this.live.off(buildId, listener);
  }

  /** Tells followers the build ended (they drain what is stored, then close). */
  finish(buildId: string): void {
    this.nextSeq.delete(buildId);
    this.live.emit(`${buildId}:end`);
  }

  onFinish(buildId: string, listener: () => void): () => void {
    this.live.once(`${buildId}:end`, listener);
    return () => this.live.off(`${buildId}:end`, listener);
  }

  /** The log lines of every build of the app, in the caller's transaction (before the builds go). */
  async deleteOfApp(manager: EntityManager, appId: string): Promise<void> {
    await manager.query(
      `DELETE FROM build_log_lines WHERE build_id IN (SELECT id FROM builds WHERE app_id = $1)`,
      [appId],
    );
  }

  /** The log lines of these builds (build retention). */
  async deleteOfBuilds(buildIds: string[]): Promise<void> {
    if (buildIds.length === 0) return;
    await this.dataSource.query(`DELETE FROM build_log_lines WHERE build_id = ANY($1::uuid[])`, [buildIds]);
  }

  private async lastSeq(buildId: string): Promise<number> {
    const [row] = await this.dataSource.query(
      'SELECT coalesce(max(seq), 0) AS seq FROM build_log_lines WHERE build_id = $1',
      [buildId],
    );
    return Number(row.seq);
  }
}

/**
 * A stored line keeps at most MAX_LINE characters (the engine already cut it at 16 KiB); a longer one
 * ends with a visible note, and is never cut inside a surrogate pair.
 */
export function storedLineText(text: string): string {
  if (text.length <= MAX_LINE) return text;
  const note = ` [truncated, line longer than ${MAX_LINE} characters]`;
  let end = MAX_LINE - note.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + note;
}
