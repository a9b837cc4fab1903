import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ACTIVE_RUN_STATES, OneOffRun, type RunPurpose, type RunState } from './one-off-run.entity.js';

export interface RunDraft {
  tenantId: string;
  appId: string;
  releaseId: string;
  releaseVersion: number;
  purpose: RunPurpose;
  command: string[];
  timeoutSeconds: number;
  memoryMb: number;
  cpuMillis: number;
  planId: string;
  createdBy: string;
}

export interface RunEnd {
  state: RunState;
  exitCode: number | null;
  oomKilled: boolean;
  finishedAt: Date;
  reason: string;
}

/** The only file holding SQL of `one_off_runs`. */
@Injectable()
export class RunsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, draft: RunDraft): Promise<OneOffRun> {
    const repo = manager.getRepository(OneOffRun);
    return repo.save(repo.create({ ...draft, state: 'starting' }));
  }

  byId(id: string): Promise<OneOffRun | null> {
    return this.dataSource.getRepository(OneOffRun).findOne({ where: { id } });
  }

  findOfApp(appId: string, id: string): Promise<OneOffRun | null> {
    return this.dataSource.getRepository(OneOffRun).findOne({ where: { id, appId } });
  }

  /** Newest first; `before` (a run id of the app) continues a page. */
  async listOfApp(appId: string, limit: number, before?: OneOffRun): Promise<OneOffRun[]> {
    const query = this.dataSource
      .getRepository(OneOffRun)
      .createQueryBuilder('r')
      .where('r.app_id = :appId', { appId })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit);
    if (before) {
      query.andWhere('(r.created_at, r.id) < (:createdAt, :id)', {
        createdAt: before.createdAt,
        id: before.id,
      });
    }
    return query.getMany();
  }

  /** Containers and memory of the tenant's active runs, in the caller's transaction (for the quota). */
  async activeOfTenant(
    tenantId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ containers: number; memoryMb: number }> {
    const [row]: { containers: number; memoryMb: number }[] = await manager.query(
      `SELECT count(*)::int AS containers, coalesce(sum(memory_mb), 0)::int AS "memoryMb"
         FROM one_off_runs WHERE tenant_id = $1 AND state = ANY($2)`,
      [tenantId, ACTIVE_RUN_STATES],
    );
    return row ?? { containers: 0, memoryMb: 0 };
  }

  async recordContainer(id: string, hostId: string, containerId: string): Promise<void> {
    await this.dataSource.query(`UPDATE one_off_runs SET host_id = $2, container_id = $3 WHERE id = $1`, [
      id,
      hostId,
      containerId,
    ]);
  }

  /** starting → running at Docker's StartedAt; false when the run was stopped meanwhile. */
  async markRunning(id: string, startedAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE one_off_runs SET state = 'running', started_at = $2 WHERE id = $1 AND state = 'starting' RETURNING id`,
      [id, startedAt],
    );
    return rowCount(rows) > 0;
  }

  /**
   * The container ended: its exit and Docker's FinishedAt are kept (what metering reads). A run already
   * stopped by a caller keeps state `stopped` and its reason. Written once: a run that has its end keeps it.
   */
  async markEnded(id: string, end: RunEnd): Promise<void> {
    await this.dataSource.query(
      `UPDATE one_off_runs
          SET state = CASE WHEN state = ANY($7) THEN $2 ELSE state END,
              reason = CASE WHEN state = ANY($7) THEN $6 ELSE reason END,
              exit_code = $3, oom_killed = $4,
              finished_at = greatest($5::timestamptz, started_at)
        WHERE id = $1 AND finished_at IS NULL`,
      [
        id,
        end.state,
        end.exitCode,
        end.oomKilled,
        end.finishedAt,
        end.reason.slice(0, 500),
        ACTIVE_RUN_STATES,
      ],
    );
  }

  /** Runs without an end created before `before` (the sweep's candidates): active, or stopped by a caller. */
  activeOlderThan(before: Date): Promise<OneOffRun[]> {
    return this.dataSource
      .getRepository(OneOffRun)
      .createQueryBuilder('r')
      .where('r.finished_at IS NULL AND r.created_at < :before', { before })
      .orderBy('r.created_at', 'ASC')
      .limit(500)
      .getMany();
  }

  /** The app's runs still active (to stop them when the app goes). */
  activeOfApp(appId: string): Promise<OneOffRun[]> {
    return this.dataSource
      .getRepository(OneOffRun)
      .createQueryBuilder('r')
      .where('r.app_id = :appId AND r.state IN (:...states)', { appId, states: ACTIVE_RUN_STATES })
      .getMany();
  }

  /** The output of every run of the app; the run rows stay (usage history, as replica runs do). */
  async deleteOutputOfApp(manager: EntityManager, appId: string): Promise<void> {
    await manager.query(
      `DELETE FROM run_output_lines WHERE run_id IN (SELECT id FROM one_off_runs WHERE app_id = $1)`,
      [appId],
    );
  }

  /**
   * Finished runs beyond their plan's `runRetention` newest of their app (by creation) whose output is not
   * expired yet, at most `limit`. Only unexpired finished runs are ranked: expired ones are older than every
   * kept one, so a pass reads the kept runs and the new work, not the whole history.
   */
  async beyondRetention(limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM (
         SELECT r.id, p.run_retention AS keep,
                row_number() OVER (PARTITION BY r.app_id ORDER BY r.created_at DESC, r.id DESC) AS rank
           FROM one_off_runs r
           JOIN tenants t ON t.id = r.tenant_id
           JOIN plans p ON p.id = t.plan_id
          WHERE r.finished_at IS NOT NULL AND r.expired_at IS NULL
       ) ranked
        WHERE rank > keep
        ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }

  /** Their output is gone: reading it answers 410 run_expired from now on. */
  async markExpired(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE one_off_runs SET expired_at = now() WHERE id = ANY($1::uuid[]) AND expired_at IS NULL`,
      [ids],
    );
  }

  /** A caller stopped an active run; false when it had already ended. */
  async markStopped(id: string, reason: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE one_off_runs SET state = 'stopped', reason = $2 WHERE id = $1 AND state = ANY($3) RETURNING id`,
      [id, reason.slice(0, 500), ACTIVE_RUN_STATES],
    );
    return rowCount(rows) > 0;
  }
}

/** pg returns [rows, count] for UPDATE … RETURNING through TypeORM's query(). */
function rowCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
