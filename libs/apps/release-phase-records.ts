import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/**
 * The release phase's state on a release row (docs/runs.md): claimed once, its run recorded, its verdict
 * kept. ReleasesService makes releases; this only moves a release's command through its phase.
 */
@Injectable()
export class ReleasePhaseRecords {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Starts the release phase once (pending → running); false when another pass already did. */
  async claimReleasePhase(releaseId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE releases SET release_phase = 'running' WHERE id = $1 AND release_phase = 'pending' RETURNING id`,
      [releaseId],
    );
    return affected(rows) > 0;
  }

  async recordReleaseRun(releaseId: string, runId: string): Promise<void> {
    await this.dataSource.query(`UPDATE releases SET release_run_id = $2 WHERE id = $1`, [releaseId, runId]);
  }

  /** The release phase ended (only a running one: a second pass's verdict is the same and is dropped). */
  async endReleasePhase(
    releaseId: string,
    phase: 'succeeded' | 'failed',
    reason: string | null,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE releases SET release_phase = $2, release_phase_reason = $3 WHERE id = $1 AND release_phase = 'running'`,
      [releaseId, phase, reason?.slice(0, 500) ?? null],
    );
  }
}

/** pg answers an UPDATE … RETURNING through TypeORM's query() as [rows, count]. */
function affected(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
