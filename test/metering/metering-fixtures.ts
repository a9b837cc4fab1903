import crypto from 'node:crypto';
import type { DataSource } from 'typeorm';

export const MINUTE = 60_000;

/** A distinct era per scenario, in the past, so the real runs of other suites never share its windows. */
export function era(day: number): number {
  return Date.UTC(2025, 0, 1) + day * 24 * 3600_000;
}

export interface RunInput {
  replicaId?: string;
  tenantId: string;
  appId?: string;
  role?: 'web' | 'lb';
  startedAt: number;
  stoppedAt: number | null;
  memoryMb?: number;
  cpuMillis?: number;
  planId?: string;
}

/** Inserts a replica_runs row as the reconciler would (Docker's StartedAt / FinishedAt). */
export async function insertRun(db: DataSource, run: RunInput): Promise<{ id: string; replicaId: string }> {
  const replicaId = run.replicaId ?? crypto.randomUUID();
  const [row] = await db.query(
    `INSERT INTO replica_runs (replica_id, tenant_id, app_id, role, container_id, memory_mb, cpu_millis, plan_id,
                               started_at, stopped_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      replicaId,
      run.tenantId,
      run.appId ?? crypto.randomUUID(),
      run.role ?? 'web',
      crypto.randomBytes(32).toString('hex'),
      run.memoryMb ?? 256,
      run.cpuMillis ?? 500,
      run.planId ?? 'hobby',
      new Date(run.startedAt).toISOString(),
      run.stoppedAt === null ? null : new Date(run.stoppedAt).toISOString(),
    ],
  );
  return { id: row.id, replicaId };
}

export async function stopRun(db: DataSource, runId: string, stoppedAt: number): Promise<void> {
  await db.query(`UPDATE replica_runs SET stopped_at = $2 WHERE id = $1`, [
    runId,
    new Date(stoppedAt).toISOString(),
  ]);
}

export async function insertBuild(
  db: DataSource,
  build: {
    tenantId: string;
    appId?: string;
    startedAt: number;
    finishedAt: number | null;
    memoryMb?: number;
  },
): Promise<string> {
  const [row] = await db.query(
    `INSERT INTO builds (app_id, tenant_id, status, source_key, source_sha256, source_bytes, timeout_seconds,
                         memory_mb, cpu_millis, started_at, finished_at)
     VALUES ($1, $2, $3, 'test/source.tar.gz', $4, 1, 600, $5, 1000, $6, $7) RETURNING id`,
    [
      build.appId ?? crypto.randomUUID(),
      build.tenantId,
      build.finishedAt === null ? 'running' : 'succeeded',
      '0'.repeat(64),
      build.memoryMb ?? 512,
      new Date(build.startedAt).toISOString(),
      build.finishedAt === null ? null : new Date(build.finishedAt).toISOString(),
    ],
  );
  return row.id;
}

export interface StoredRecord {
  id: string;
  tenantId: string;
  appId: string | null;
  subjectId: string;
  kind: string;
  windowStart: string;
  windowEnd: string;
  seconds: string;
  memoryMb: number;
  cpuMillis: number;
  planId: string | null;
}

export async function recordsOf(db: DataSource, subjectIds: string[]): Promise<StoredRecord[]> {
  const rows = await db.query(
    `SELECT id, tenant_id AS "tenantId", app_id AS "appId", subject_id AS "subjectId", kind,
            window_start AS "windowStart", window_end AS "windowEnd", seconds, memory_mb AS "memoryMb",
            cpu_millis AS "cpuMillis", plan_id AS "planId"
       FROM usage_records WHERE subject_id = ANY($1::uuid[]) ORDER BY subject_id, window_start`,
    [subjectIds],
  );
  return rows.map((r: StoredRecord & { windowStart: Date; windowEnd: Date }) => ({
    ...r,
    windowStart: r.windowStart.toISOString(),
    windowEnd: r.windowEnd.toISOString(),
  }));
}

/** "127.500" → 127500, exactly. */
export function millisOf(seconds: string): number {
  const [whole, fraction = ''] = seconds.split('.');
  return Number(whole) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3));
}

/** An integer scaled by 10^scale as an exact decimal string: (127500n, 3) → "127.500". */
export function decimal(value: bigint, scale: number): string {
  const text = value.toString().padStart(scale + 1, '0');
  return `${text.slice(0, -scale)}.${text.slice(-scale)}`;
}

/** The meter's bookmark is an optimisation only: scenarios start from none (everything is a candidate). */
export async function resetMeterState(db: DataSource): Promise<void> {
  await db.query(`DELETE FROM usage_meter_state`);
}

/** Runs and builds of a scenario go away afterwards (its records stay), so later passes have less to read. */
export async function removeSpans(db: DataSource, tenantIds: string[]): Promise<void> {
  await db.query(`DELETE FROM replica_runs WHERE tenant_id = ANY($1::uuid[])`, [tenantIds]);
  await db.query(`DELETE FROM builds WHERE tenant_id = ANY($1::uuid[])`, [tenantIds]);
}

/** Same records up to the subject ids (mapped through `rename`), ignoring ids and tenant. */
export function shapeOf(records: StoredRecord[], rename: (subjectId: string) => string = (s) => s) {
  return records
    .map((r) => ({
      subject: rename(r.subjectId),
      kind: r.kind,
      windowStart: r.windowStart,
      windowEnd: r.windowEnd,
      seconds: r.seconds,
      memoryMb: r.memoryMb,
      cpuMillis: r.cpuMillis,
      planId: r.planId,
    }))
    .sort((a, b) =>
      a.subject === b.subject
        ? a.windowStart.localeCompare(b.windowStart)
        : a.subject.localeCompare(b.subject),
    );
}
