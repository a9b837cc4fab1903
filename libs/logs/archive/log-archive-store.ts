import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppLogEntryWithoutSeq, LogPosition } from '../log-entry.js';
import type { LogFilter } from '../log-merge.js';
import { parseCursor } from '../log-entry.js';
import { arrayLiteral } from '../../db/index.js';
import type { ArchivedLine, DayCounts } from './archive-batch.js';
import { textBytes } from './text-bytes.js';

/** The newest partition is this many days after today: the longest plan retention (90) + 1, and a day of slack. */
export const PARTITION_DAYS_AHEAD = 92;
/** Rows one read statement returns at most: reads walk the store in keyset chunks, never all at once. */
export const READ_CHUNK_ROWS = 500;

/** A replica's last archived position: every line of it at or before this is in the store (or was refused). */
export interface Watermark {
  appId: string;
  replica: string;
  timestamp: string;
  ordinal: number;
}

/** What an app's plan says about its logs. */
export interface AppLogSettings {
  appId: string;
  bytesPerDay: number;
}

export interface ArchiveWrite {
  /** Partitions exist for it (ensurePartitions): `YYYY-MM-DD`, UTC. */
  today: string;
  lines: ArchivedLine[];
  /** Per replica: the new watermark (only ever moves forward). */
  watermarks: Watermark[];
  /** Per app: what this write adds to today's counts. */
  days: DayCounts[];
}

/**
 * A batch's lines as the archive statement's parameters: the columns as array literals ($1–$7: app,
 * replica, container, stream, timestamp, ordinal, the text's byte length) and the texts as one bytea ($17).
 */
export function archiveLineParameters(lines: readonly ArchivedLine[]): { columns: string[]; texts: Buffer } {
  const texts = textBytes(lines.map((l) => l.text));
  return {
    columns: [
      arrayLiteral(lines.map((l) => l.appId)),
      arrayLiteral(lines.map((l) => l.replica)),
      arrayLiteral(lines.map((l) => l.containerId)),
      arrayLiteral(lines.map((l) => l.stream)),
      arrayLiteral(lines.map((l) => l.timestamp)),
      arrayLiteral(lines.map((l) => l.ordinal)),
      arrayLiteral(texts.lengths),
    ],
    texts: texts.bytes,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every query of `app_log_lines`, `app_log_watermarks` and `app_log_days` (migration DurableLogs). Lines
 * are partitioned by `expires_on` (the line's own UTC day + its plan's logRetentionDays + 1), one partition
 * per day, so expiry drops whole tables and a re-sent line lands in the same partition as its first copy,
 * where the primary key (replica, ts, ordinal, expires_on) makes it a no-op.
 */
@Injectable()
export class LogArchiveStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Creates the partitions of the days after `today` up to PARTITION_DAYS_AHEAD, and drops those whose
   * lines expired (`expires_on` <= today). Idempotent; two callers at once only race on IF (NOT) EXISTS.
   */
  async ensurePartitions(today: string): Promise<{ created: string[]; dropped: string[] }> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'app_log_lines'`,
    );
    const existing = new Set(rows.map((r) => r.name));
    const todayName = partitionName(today);
    const dropped = [...existing].filter((name) => name <= todayName).sort();
    for (const name of dropped) await this.dataSource.query(`DROP TABLE IF EXISTS "${name}"`);
    const created: string[] = [];
    for (let ahead = 1; ahead <= PARTITION_DAYS_AHEAD; ahead += 1) {
      const day = addDays(today, ahead);
      const name = partitionName(day);
      if (existing.has(name)) continue;
      await this.dataSource.query(
        `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF app_log_lines
           FOR VALUES FROM ('${day}') TO ('${addDays(day, 1)}')`,
      );
      created.push(name);
    }
    await this.dataSource.query(`DELETE FROM app_log_days WHERE day < $1::date - 90`, [today]);
    return { created, dropped };
  }

  /** The byte allowance of each of these apps (apps that no longer exist are left out). */
  async settingsOf(appIds: string[]): Promise<AppLogSettings[]> {
    if (appIds.length === 0) return [];
    const rows: { app_id: string; mb: number }[] = await this.dataSource.query(
      `SELECT a.id AS app_id, p.log_mb_per_day AS mb
         FROM apps a JOIN tenants t ON t.id = a.tenant_id JOIN plans p ON p.id = t.plan_id
        WHERE a.id = ANY($1::uuid[])`,
      [appIds],
    );
    return rows.map((r) => ({ appId: r.app_id, bytesPerDay: r.mb * 1024 * 1024 }));
  }

  async watermarksOf(appIds: string[]): Promise<Watermark[]> {
    if (appIds.length === 0) return [];
    const rows: { app_id: string; replica_id: string; ts: string; ordinal: number }[] =
      await this.dataSource.query(
        `SELECT app_id, replica_id, ts, ordinal FROM app_log_watermarks WHERE app_id = ANY($1::uuid[])`,
        [appIds],
      );
    return rows.map((r) => ({ appId: r.app_id, replica: r.replica_id, timestamp: r.ts, ordinal: r.ordinal }));
  }

  /** Bytes each app kept on `day` so far. */
  async bytesKeptOn(appIds: string[], day: string): Promise<Map<string, number>> {
    if (appIds.length === 0) return new Map();
    const rows: { app_id: string; bytes: string }[] = await this.dataSource.query(
      `SELECT app_id, bytes_kept AS bytes FROM app_log_days WHERE app_id = ANY($1::uuid[]) AND day = $2::date`,
      [appIds, day],
    );
    return new Map(rows.map((r) => [r.app_id, Number(r.bytes)]));
  }

  /** What was kept and not kept per day (newest first). */
  async daysOf(appId: string): Promise<(DayCounts & { day: string })[]> {
    const rows: { day: string; bytes: string; kept: string; not_kept: string }[] =
      await this.dataSource.query(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, bytes_kept AS bytes, lines_kept AS kept, lines_not_kept AS not_kept
         FROM app_log_days WHERE app_id = $1 ORDER BY day DESC`,
        [appId],
      );
    return rows.map((r) => ({
      appId,
      day: r.day,
      bytesKept: Number(r.bytes),
      linesKept: Number(r.kept),
      linesNotKept: Number(r.not_kept),
    }));
  }

  /**
   * Atomically: the lines (one multi-row INSERT over unnest arrays; a line already stored, or of an app
   * deleted meanwhile, or already past its retention, is skipped), the watermarks (forward only) and the
   * day counts. An app deleted between the statement's join and its foreign key check (23503) fails the
   * write once: it is tried again, and then skips that app's lines.
   */
  async write(batch: ArchiveWrite): Promise<number> {
    try {
      return await this.writeOnce(batch);
    } catch (error) {
      if ((error as { code?: string }).code !== '23503') throw error;
      return this.writeOnce(batch);
    }
  }

  /** A replica's watermark alone (after a catch-up stored its lines). */
  async saveWatermark(today: string, watermark: Watermark): Promise<void> {
    await this.write({ today, lines: [], watermarks: [watermark], days: [] });
  }

  /**
   * One statement (its data-modifying CTEs run to completion whether or not the final SELECT reads them,
   * and together, atomically): one round trip per batch instead of five (BEGIN, three INSERTs, COMMIT), and
   * one count back instead of a row per inserted line.
   *
   * The lines' columns go as array literals (archiveLineParameters) and their texts as one bytea sent
   * binary, cut by byte lengths: pg's own encoding of a bytea[] (hex, quoted and escaped one element at a
   * time) took 3.3x the CPU per batch (bench/archive-encoding.ts) and most of the archiver's allocations.
   */
  private async writeOnce(batch: ArchiveWrite): Promise<number> {
    const { lines, watermarks } = batch;
    const days = batch.days.filter((d) => d.bytesKept + d.linesKept + d.linesNotKept > 0);
    if (lines.length + watermarks.length + days.length === 0) return 0;
    const lineParameters = archiveLineParameters(lines);
    const rows: { inserted: number }[] = await this.dataSource.query(
      `WITH line_rows AS (
         SELECT u.*, (sum(u.bytes) OVER (ORDER BY u.n) - u.bytes)::int AS start
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[])
                WITH ORDINALITY AS u(app_id, replica_id, container_id, stream, ts, ordinal, bytes, n)
       ), inserted_lines AS (
         INSERT INTO app_log_lines (app_id, replica_id, container_id, stream, ts, ordinal, text, expires_on)
         SELECT u.app_id, u.replica_id, u.container_id, u.stream, u.ts, u.ordinal,
                substring($17::bytea FROM u.start + 1 FOR u.bytes), e.expires_on
           FROM line_rows u
           JOIN apps a ON a.id = u.app_id
           JOIN tenants t ON t.id = a.tenant_id
           JOIN plans p ON p.id = t.plan_id
           CROSS JOIN LATERAL (SELECT left(u.ts, 10)::date + p.log_retention_days + 1 AS expires_on) e
          WHERE e.expires_on > $8::date AND e.expires_on <= $8::date + ${PARTITION_DAYS_AHEAD}
         ON CONFLICT DO NOTHING
         RETURNING 1
       ), moved_watermarks AS (
         INSERT INTO app_log_watermarks AS w (replica_id, app_id, ts, ordinal)
         SELECT u.replica_id, u.app_id, u.ts, u.ordinal
           FROM unnest($9::uuid[], $10::uuid[], $11::text[], $12::int[]) AS u(replica_id, app_id, ts, ordinal)
          WHERE EXISTS (SELECT 1 FROM apps a WHERE a.id = u.app_id)
         ON CONFLICT (replica_id) DO UPDATE SET ts = EXCLUDED.ts, ordinal = EXCLUDED.ordinal, updated_at = now()
          WHERE (w.ts, w.ordinal) < (EXCLUDED.ts, EXCLUDED.ordinal)
       ), counted_days AS (
         INSERT INTO app_log_days AS d (app_id, day, bytes_kept, lines_kept, lines_not_kept)
         SELECT u.app_id, $8::date, u.bytes, u.kept, u.not_kept
           FROM unnest($13::uuid[], $14::bigint[], $15::bigint[], $16::bigint[]) AS u(app_id, bytes, kept, not_kept)
          WHERE EXISTS (SELECT 1 FROM apps a WHERE a.id = u.app_id)
         ON CONFLICT (app_id, day) DO UPDATE SET bytes_kept = d.bytes_kept + EXCLUDED.bytes_kept,
           lines_kept = d.lines_kept + EXCLUDED.lines_kept, lines_not_kept = d.lines_not_kept + EXCLUDED.lines_not_kept
       )
       SELECT count(*)::int AS inserted FROM inserted_lines`,
      [
        ...lineParameters.columns,
        batch.today,
        watermarks.map((m) => m.replica),
        watermarks.map((m) => m.appId),
        watermarks.map((m) => m.timestamp),
        watermarks.map((m) => m.ordinal),
        days.map((d) => d.appId),
        days.map((d) => d.bytesKept),
        days.map((d) => d.linesKept),
        days.map((d) => d.linesNotKept),
        lineParameters.texts,
      ],
    );
    return rows[0].inserted;
  }

  /**
   * The app's stored lines that match `filter`, each at or before its replica's watermark (later ones are
   * read from the engine while the container exists), in the log's order (timestamp, replica, ordinal),
   * read in keyset chunks of READ_CHUNK_ROWS. With `tail`, one statement reads the last `tail` lines.
   * `filter` must have been checked (checkedLogFilter).
   */
  async *read(appId: string, filter: LogFilter, today: string): AsyncGenerator<AppLogEntryWithoutSeq> {
    const where: string[] = [
      'l.app_id = $1',
      'l.expires_on > $2::date',
      '(l.ts, l.ordinal) <= (w.ts, w.ordinal)',
    ];
    const params: unknown[] = [appId, today];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.since !== undefined) where.push(`l.ts >= ${param(filter.since)}::text COLLATE "C"`);
    if (filter.until !== undefined) where.push(`l.ts <= ${param(filter.until)}::text COLLATE "C"`);
    if (filter.streams) where.push(`l.stream = ANY(${param(filter.streams)}::text[])`);
    if (filter.replicas) {
      where.push(`l.replica_id = ANY(${param(filter.replicas.filter((id) => UUID.test(id)))}::uuid[])`);
    }
    const sql = (extra: string[], order: string, limit: number): string =>
      `SELECT l.ts, l.replica_id, l.container_id, l.stream, l.ordinal, l.text
         FROM app_log_lines l JOIN app_log_watermarks w ON w.replica_id = l.replica_id
        WHERE ${[...where, ...extra].join(' AND ')}
        ORDER BY l.ts ${order}, l.replica_id ${order}, l.ordinal ${order} LIMIT ${limit}`;
    const after = (position: LogPosition): string[] => {
      const [ts, replica, ordinal] = [
        param(position.timestamp),
        param(position.replica),
        param(position.ordinal),
      ];
      return [
        `l.ts >= ${ts}::text COLLATE "C"`,
        `(l.ts > ${ts}::text COLLATE "C" OR l.replica_id::text > ${replica}::text COLLATE "C"` +
          ` OR (l.replica_id::text = ${replica}::text AND l.ordinal > ${ordinal}::int))`,
      ];
    };
    const base = params.length;
    let from: LogPosition | undefined = filter.after === undefined ? undefined : parseCursor(filter.after);
    if (filter.tail !== undefined) {
      if (filter.tail === 0) return;
      const rows: StoredRow[] = await this.dataSource.query(
        sql(from ? after(from) : [], 'DESC', filter.tail),
        params,
      );
      for (const row of rows.reverse()) yield entryOf(row);
      return;
    }
    for (;;) {
      params.length = base;
      const rows: StoredRow[] = await this.dataSource.query(
        sql(from ? after(from) : [], 'ASC', READ_CHUNK_ROWS),
        params,
      );
      for (const row of rows) yield entryOf(row);
      if (rows.length < READ_CHUNK_ROWS) return;
      const last = rows[rows.length - 1];
      from = { timestamp: last.ts, replica: last.replica_id, ordinal: last.ordinal };
    }
  }

  /** Watermarks of the app's replicas (for the reader: the engine gives only what follows them). */
  async watermarksOfApp(appId: string): Promise<Map<string, LogPosition>> {
    const marks = await this.watermarksOf([appId]);
    return new Map(
      marks.map((m) => [m.replica, { timestamp: m.timestamp, replica: m.replica, ordinal: m.ordinal }]),
    );
  }
}

interface StoredRow {
  ts: string;
  replica_id: string;
  container_id: string;
  stream: 'stdout' | 'stderr';
  ordinal: number;
  text: Buffer;
}

function entryOf(row: StoredRow): AppLogEntryWithoutSeq {
  return {
    timestamp: row.ts,
    replica: row.replica_id,
    containerId: row.container_id,
    stream: row.stream,
    text: row.text.toString('utf8'),
    ordinal: row.ordinal,
  };
}

export function partitionName(day: string): string {
  return `app_log_lines_p${day.replaceAll('-', '')}`;
}

/** `YYYY-MM-DD` plus `days` (UTC). */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;
let lastDay = { day: '', from: 0 };

/** Today's UTC date, `YYYY-MM-DD` (the archiver asks per delivery: the last day is kept, not reformatted). */
export function utcDay(at: number = Date.now()): string {
  if (at < lastDay.from || at >= lastDay.from + DAY_MS) {
    const from = Math.floor(at / DAY_MS) * DAY_MS;
    lastDay = { day: new Date(from).toISOString().slice(0, 10), from };
  }
  return lastDay.day;
}
