import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RunOutputLine } from './run-output-line.entity.js';

export interface RunOutputEntry {
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A line the engine cut at 16 KiB is kept to this many characters, with a note. */
export const MAX_RUN_LINE_CHARS = 4000;
/** A run that prints more keeps its first lines and a note: output is bounded before it is kept. */
export const MAX_LINES_PER_RUN = 10_000;

/**
 * A run's output in PostgreSQL, numbered per run (readers page and resume by `seq`), and pushed to
 * followers in this process as it is written (followers elsewhere poll). Writes of one run are chained so
 * their `seq` never collide; one supervisor writes each run.
 */
@Injectable()
export class RunOutputStore {
  private readonly live = new EventEmitter();
  private readonly nextSeq = new Map<string, number>();
  private readonly writes = new Map<string, Promise<void>>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.live.setMaxListeners(0);
  }

  append(runId: string, lines: { stream: 'stdout' | 'stderr'; text: string }[]): Promise<void> {
    const previous = this.writes.get(runId) ?? Promise.resolve();
    const next = previous.then(() => this.write(runId, lines));
    const settled = next.catch(() => undefined);
    this.writes.set(runId, settled);
    void settled.then(() => {
      if (this.writes.get(runId) === settled) this.writes.delete(runId);
    });
    return next;
  }

  /** Resolves once every append so far is stored. */
  async flushed(runId: string): Promise<void> {
    await this.writes.get(runId);
  }

  async read(runId: string, afterSeq = 0, limit = 1000): Promise<RunOutputEntry[]> {
    const rows: { seq: number; at: Date; stream: 'stdout' | 'stderr'; text: string }[] =
      await this.dataSource.query(
        `SELECT seq, at, stream, text FROM run_output_lines WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [runId, afterSeq, limit],
      );
    return rows.map(toEntry);
  }

  /** The last `count` lines, oldest first. */
  async tail(runId: string, count: number): Promise<RunOutputEntry[]> {
    const rows: { seq: number; at: Date; stream: 'stdout' | 'stderr'; text: string }[] =
      await this.dataSource.query(
        `SELECT seq, at, stream, text FROM run_output_lines WHERE run_id = $1 ORDER BY seq DESC LIMIT $2`,
        [runId, count],
      );
    return rows.reverse().map(toEntry);
  }

  /** Deletes at most `limit` output lines of these runs; returns how many (fewer than `limit`: none left). */
  async deleteOfRuns(runIds: string[], limit: number): Promise<number> {
    if (runIds.length === 0) return 0;
    const [row]: { deleted: number }[] = await this.dataSource.query(
      `WITH doomed AS (
         SELECT run_id, seq FROM run_output_lines WHERE run_id = ANY($1::uuid[]) LIMIT $2
       ), gone AS (
         DELETE FROM run_output_lines l USING doomed d WHERE l.run_id = d.run_id AND l.seq = d.seq RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [runIds, limit],
    );
    return row?.deleted ?? 0;
  }

  /** Told (in this process) when lines of the run were stored; returns the unsubscribe function. */
  subscribe(runId: string, listener: () => void): () => void {
    this.live.on(runId, listener);
    return () => this.live.off(runId, listener);
  }

  /** The run ended: its writer is done (followers read what is stored, then stop). */
  finish(runId: string): void {
    this.nextSeq.delete(runId);
    this.live.emit(runId);
  }

  private async write(runId: string, lines: { stream: 'stdout' | 'stderr'; text: string }[]): Promise<void> {
    if (lines.length === 0) return;
    let seq = this.nextSeq.get(runId) ?? (await this.lastSeq(runId)) + 1;
    if (seq > MAX_LINES_PER_RUN + 1) return;
    const at = new Date();
    const rows: RunOutputLine[] = [];
    for (const line of lines) {
      if (seq > MAX_LINES_PER_RUN) {
        rows.push({
          runId,
          seq: seq++,
          at,
          stream: 'stderr',
          text: `[berth] output cut after ${MAX_LINES_PER_RUN} lines`,
        });
        break;
      }
      rows.push({ runId, seq: seq++, at, stream: line.stream, text: storedText(line.text) });
    }
    this.nextSeq.set(runId, seq);
    await this.dataSource.getRepository(RunOutputLine).insert(rows);
    this.live.emit(runId);
  }

  private async lastSeq(runId: string): Promise<number> {
    const [row]: { seq: number }[] = await this.dataSource.query(
      'SELECT coalesce(max(seq), 0)::int AS seq FROM run_output_lines WHERE run_id = $1',
      [runId],
    );
    return row?.seq ?? 0;
  }
}

function toEntry(row: { seq: number; at: Date; stream: 'stdout' | 'stderr'; text: string }): RunOutputEntry {
  return { seq: row.seq, at: row.at.toISOString(), stream: row.stream, text: row.text };
}

/** At most MAX_RUN_LINE_CHARS characters, never cut inside a surrogate pair, a cut line says so. */
export function storedText(text: string): string {
  if (text.length <= MAX_RUN_LINE_CHARS) return text;
  const note = ` [cut: line longer than ${MAX_RUN_LINE_CHARS} characters]`;
  let end = MAX_RUN_LINE_CHARS - note.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + note;
}
