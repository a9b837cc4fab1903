import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, Not, type EntityManager } from 'typeorm';
import { ReplicaRun } from './replica-run.entity.js';
import { type ReplicaRole, type ReplicaState, Replica } from './replica.entity.js';

/** A replica row before its container exists (ReplicaLifecycle.create). */
export type PendingReplica = Pick<
  Replica,
  'appId' | 'tenantId' | 'releaseId' | 'hostId' | 'role' | 'containerName' | 'memoryMb' | 'cpuMillis'
>;

/** What Docker said when a replica's container started (ReplicaLifecycle.recordStarted). */
export interface StartedContainer {
  containerId: string;
  running: boolean;
  hostPort: number | null;
  /** Docker's StartedAt: the start of the run metered from it. */
  startedAt: Date;
}

/** What Docker said when a replica's container exited on its own. */
export interface ExitedContainer {
  exitCode: number | null;
  oomKilled: boolean;
  restarts: number;
  stoppedAt: Date;
  nextRestartAt: Date;
  lastError: string;
}

/**
 * Every read and write of the `replicas` and `replica_runs` rows: the replica lifecycle, the reconciler,
 * the balancer, the app overview, host removal and the log readers all come here. A replica's state moves
 * only through the named writes below; a run is opened once per container start and closed at Docker's
 * own stop time, which is what usage is metered from.
 */
@Injectable()
export class ReplicasRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get rows() {
    return this.dataSource.getRepository(Replica);
  }

  // Reads

  byId(id: string): Promise<Replica> {
    return this.rows.findOneByOrFail({ id });
  }

  /** The app's replicas of one role that are not gone, oldest first. */
  liveOfApp(appId: string, role: ReplicaRole): Promise<Replica[]> {
    return this.rows.find({ where: { appId, role, state: Not('gone') }, order: { createdAt: 'ASC' } });
  }

  /** Replicas of many apps that are not gone, oldest first (a reconcile pass over some apps). */
  liveOfApps(appIds: string[]): Promise<Replica[]> {
    return this.rows.find({ where: { appId: In(appIds), state: Not('gone') }, order: { createdAt: 'ASC' } });
  }

  /** Every replica that is not gone, oldest first (a full reconcile pass). */
  allLive(): Promise<Replica[]> {
    return this.rows.find({ where: { state: Not('gone') }, order: { createdAt: 'ASC' } });
  }

  /** Replicas of these apps with a container that is starting or running, oldest first (log watchers). */
  startedWithContainerOfApps(appIds: string[]): Promise<Replica[]> {
    return this.rows.find({
      where: { appId: In(appIds), state: In(['starting', 'running']), containerId: Not(IsNull()) },
      order: { createdAt: 'ASC' },
    });
  }

  /**
   * For the log watchers' shared poll, in one statement: which of `appIds` exist and are not being
   * deleted, and their replicas with a container that are starting or running, oldest first (what
   * startedWithContainerOfApps reads).
   */
  async watchedAppsState(appIds: string[]): Promise<{
    presentAppIds: Set<string>;
    replicas: Pick<Replica, 'id' | 'appId' | 'hostId' | 'containerId' | 'startedAt'>[];
  }> {
    const rows = (await this.dataSource.query(
      `SELECT a.id AS app_id, r.id, r.host_id, r.container_id, r.started_at
         FROM apps a
         LEFT JOIN replicas r ON r.app_id = a.id AND r.state IN ('starting', 'running') AND r.container_id IS NOT NULL
        WHERE a.id = ANY($1::uuid[]) AND a.deleting_at IS NULL
        ORDER BY r.created_at`,
      [appIds],
    )) as {
      app_id: string;
      id: string | null;
      host_id: string;
      container_id: string;
      started_at: Date | null;
    }[];
    return {
      presentAppIds: new Set(rows.map((row) => row.app_id)),
      replicas: rows
        .filter((row) => row.id !== null)
        .map((row) => ({
          id: row.id!,
          appId: row.app_id,
          hostId: row.host_id,
          containerId: row.container_id,
          startedAt: row.started_at,
        })),
    };
  }

  /** Every replica (both roles) with a container that is starting or running: what the metrics sampler reads. */
  startedWithContainer(): Promise<Replica[]> {
    return this.rows.find({
      where: { state: In(['starting', 'running']), containerId: Not(IsNull()) },
      order: { createdAt: 'ASC' },
    });
  }

  /** Replicas not gone, counted by role and state (the operators' Prometheus gauges). */
  async countByRoleAndState(): Promise<{ role: ReplicaRole; state: ReplicaState; count: number }[]> {
    return this.dataSource.query(
      `SELECT role, state, count(*)::int AS count FROM replicas WHERE state <> 'gone' GROUP BY role, state`,
    );
  }

  /** The app's replicas of both roles, oldest first, at most `limit`; gone ones only when asked. */
  ofApp(appId: string, options: { includeGone: boolean; limit: number }): Promise<Replica[]> {
    return this.rows.find({
      where: { appId, ...(options.includeGone ? {} : { state: Not('gone') }) },
      order: { createdAt: 'ASC' },
      take: options.limit,
    });
  }

  /** The app's web replicas that accept connections (a balancer's backends). */
  runningWebOfApp(appId: string): Promise<Replica[]> {
    return this.rows.find({ where: { appId, role: 'web', state: 'running' } });
  }

  /** Every replica of both roles that accepts connections and publishes a port (the edge router's servers). */
  servingWithPort(): Promise<Replica[]> {
    return this.rows.find({ where: { state: 'running', hostPort: Not(IsNull()) } });
  }

  /** The app's balancer that is started or serving, the oldest when there are several. */
  servingBalancerOf(appId: string): Promise<Replica | null> {
    return this.rows.findOne({
      where: { appId, role: 'lb', state: In(['starting', 'running']) },
      order: { createdAt: 'ASC' },
    });
  }

  /** The app's crashed web replica with the most restarts (crash loops are reported by it). */
  mostRestartedCrashed(appId: string): Promise<Replica | null> {
    return this.rows.findOne({
      where: { appId, role: 'web', state: 'crashed' },
      order: { restarts: 'DESC' },
    });
  }

  /** Replicas with a container that is started or serving, oldest first (the live log followers). */
  startedWithContainerOfApp(appId: string): Promise<Replica[]> {
    return this.rows.find({
      where: { appId, state: In(['starting', 'running']), containerId: Not(IsNull()) },
      order: { createdAt: 'ASC' },
    });
  }

  /**
   * Replicas whose container may still hold log lines: not gone, or gone after `goneAfter`; stopped after
   * `since` when given; among `ids` when given. Newest first, at most `limit`.
   */
  withLogsOfApp(
    appId: string,
    filter: { goneAfter: Date; since?: Date; ids?: string[]; limit: number },
  ): Promise<Replica[]> {
    const query = this.rows
      .createQueryBuilder('r')
      .where('r.appId = :appId', { appId })
      .andWhere('r.containerId IS NOT NULL')
      .andWhere(`(r.state <> 'gone' OR r.stoppedAt > :goneAfter)`, { goneAfter: filter.goneAfter });
    if (filter.since)
      query.andWhere('(r.stoppedAt IS NULL OR r.stoppedAt >= :since)', { since: filter.since });
    if (filter.ids) query.andWhere('r.id IN (:...ids)', { ids: filter.ids });
    return query.orderBy('r.createdAt', 'DESC').limit(filter.limit).getMany();
  }

  /** Apps that still have replicas not gone (an app whose row is gone may still have some). */
  async appIdsWithLiveReplicas(): Promise<string[]> {
    const rows: { appId: string }[] = await this.dataSource.query(
      `SELECT DISTINCT app_id AS "appId" FROM replicas WHERE state <> 'gone'`,
    );
    return rows.map((r) => r.appId);
  }

  /** Memory that replicas not gone (web and balancers of every app) take on each host, in MB. */
  async allocatedMbByHost(): Promise<Map<string, number>> {
    const rows: { hostId: string; mb: number }[] = await this.dataSource.query(
      `SELECT host_id AS "hostId", sum(memory_mb)::int AS mb FROM replicas WHERE state <> 'gone' GROUP BY host_id`,
    );
    return new Map(rows.map((r) => [r.hostId, r.mb]));
  }

  /** Of these replica ids, those this installation marked gone. */
  async goneAmong(ids: string[]): Promise<Set<string>> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM replicas WHERE id = ANY($1::uuid[]) AND state = 'gone'`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Replicas not gone on a host, in the caller's transaction (a host is removed only when empty). */
  countLiveOnHost(manager: EntityManager, hostId: string): Promise<number> {
    return manager.count(Replica, { where: { hostId, state: Not('gone') } });
  }

  // Writes

  /** The row written before its container is created, so a process that dies in between adopts it. */
  insertPending(replica: PendingReplica): Promise<Replica> {
    return this.rows.save(this.rows.create({ ...replica, state: 'pending' }));
  }

  /** The container Docker created (or that was adopted by its label) for the replica. */
  async recordContainer(id: string, containerId: string): Promise<void> {
    await this.rows.update(id, { containerId });
  }

  /** Created but never started: its start is retried after `nextRestartAt`. */
  async markStartFailed(id: string, lastError: string, nextRestartAt: Date): Promise<void> {
    await this.rows.update(id, { state: 'crashed', restarts: 1, lastError, nextRestartAt });
  }

  /** Nothing of the replica runs any more (removed, vanished or never created). */
  async markGone(id: string, gone: { lastError?: string; stoppedAt?: Date }): Promise<void> {
    await this.rows.update(id, { state: 'gone', ...gone });
  }

  /** Accepts connections on its port. */
  async markRunning(id: string): Promise<void> {
    await this.rows.update(id, { state: 'running', lastError: null });
  }

  async setLastError(id: string, lastError: string | null): Promise<void> {
    await this.rows.update(id, { lastError });
  }

  /** Being removed: out of every endpoint list and balancer from now on. */
  async markStopping(ids: string[]): Promise<void> {
    await this.rows.update({ id: In(ids) }, { state: 'stopping' });
  }

  /** A restart that failed counts as one more restart and waits out a longer backoff. */
  async recordRestartFailure(
    id: string,
    failure: { restarts: number; nextRestartAt: Date; lastError: string },
  ): Promise<void> {
    await this.rows.update(id, failure);
  }

  /** The container exited on its own: exit code and OOM kept, restart after `nextRestartAt`. */
  async recordExit(id: string, exit: ExitedContainer): Promise<void> {
    await this.rows.update(id, { state: 'crashed', ...exit });
  }

  /** The replica's row, locked for the rest of the caller's transaction. */
  lockById(manager: EntityManager, id: string): Promise<Replica> {
    return manager.findOneOrFail(Replica, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Its container started (`starting` while it runs), in the caller's transaction. */
  async markStarted(manager: EntityManager, replica: Replica, started: StartedContainer): Promise<void> {
    await manager.update(Replica, replica.id, {
      state: started.running ? 'starting' : replica.state,
      hostPort: started.hostPort,
      startedAt: started.startedAt,
      stoppedAt: null,
      nextRestartAt: null,
    });
  }

  /** Opens the run of this container start once (an adopted start is not opened twice). */
  async openRun(
    manager: EntityManager,
    replica: Replica,
    started: StartedContainer,
    planId: string,
  ): Promise<void> {
    const where = { replicaId: replica.id, containerId: started.containerId, startedAt: started.startedAt };
    if (await manager.findOne(ReplicaRun, { where })) return;
    await manager.insert(ReplicaRun, {
      ...where,
      tenantId: replica.tenantId,
      appId: replica.appId,
      role: replica.role,
      memoryMb: replica.memoryMb,
      cpuMillis: replica.cpuMillis,
      planId,
      stoppedAt: null,
    });
  }

  /** Closes the replica's open run at the time Docker says the container stopped. */
  async closeRun(replicaId: string, stoppedAt: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE replica_runs SET stopped_at = GREATEST(started_at, $2) WHERE replica_id = $1 AND stopped_at IS NULL`,
      [replicaId, stoppedAt],
    );
  }
}
