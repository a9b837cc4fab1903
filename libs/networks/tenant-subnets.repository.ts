import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { TenantSubnet } from './tenant-subnet.entity.js';
import { LOCK_CLASSES } from '../db/index.js';

/** Advisory lock classes (first key of the two-key form): one (host, tenant) network; the allocator. */

/** A transaction holding the lock of one (host, tenant) network; every query of it goes through `rows`. */
export interface TenantSubnetRows {
  find(): Promise<TenantSubnet | null>;
  /** Every recorded subnet but this pair's, after taking the allocator's lock (held until commit). */
  takenByOthers(): Promise<string[]>;
  insert(subnet: string): Promise<void>;
  updateSubnet(subnet: string): Promise<void>;
  delete(): Promise<void>;
  /** Whether a replica (web or balancer) not gone, or a running build, of the tenant is on the host. */
  inUse(): Promise<boolean>;
}

/**
 * The only SQL on `tenant_subnets`. Work on one (host, tenant) runs inside `withTenantNetwork`: a
 * transaction holding that pair's advisory lock, so ensuring the network and releasing it never
 * interleave, in one process or several. Allocation also takes the allocator's lock, so reading what is
 * taken and inserting the next free subnet is one step for every caller (the table's constraints are
 * the last guard).
 */
@Injectable()
export class TenantSubnetsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  withTenantNetwork<T>(
    key: { hostId: string; tenantId: string },
    work: (rows: TenantSubnetRows) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        LOCK_CLASSES.tenantNetwork,
        `${key.hostId}/${key.tenantId}`,
      ]);
      return work(this.rowsOf(manager, key));
    });
  }

  private rowsOf(manager: EntityManager, key: { hostId: string; tenantId: string }): TenantSubnetRows {
    const { hostId, tenantId } = key;
    return {
      find: () => manager.findOne(TenantSubnet, { where: { hostId, tenantId } }),
      takenByOthers: async () => {
        await manager.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_CLASSES.subnetAllocation]);
        const rows: { subnet: string }[] = await manager.query(
          `SELECT subnet::text AS subnet FROM tenant_subnets WHERE NOT (host_id = $1 AND tenant_id = $2)`,
          [hostId, tenantId],
        );
        return rows.map((row) => row.subnet);
      },
      insert: async (subnet) => {
        await manager.insert(TenantSubnet, { hostId, tenantId, subnet });
      },
      updateSubnet: async (subnet) => {
        await manager.update(TenantSubnet, { hostId, tenantId }, { subnet });
      },
      delete: async () => {
        await manager.delete(TenantSubnet, { hostId, tenantId });
      },
      inUse: async () => {
        const [{ used }] = await manager.query(
          `SELECT EXISTS (SELECT 1 FROM replicas
                           WHERE host_id = $1 AND tenant_id = $2 AND state <> 'gone')
               OR EXISTS (SELECT 1 FROM builds
                           WHERE host_id = $1 AND tenant_id = $2 AND status = 'running') AS used`,
          [hostId, tenantId],
        );
        return used as boolean;
      },
    };
  }

  /**
   * Pairs that look unused (nothing of the tenant on the host, or the host no longer registered), for
   * the release sweep; each is checked again under its lock before anything is removed.
   */
  async releaseCandidates(filter: { tenantId?: string } = {}): Promise<TenantSubnet[]> {
    const rows: { id: string; hostId: string; tenantId: string; subnet: string; createdAt: Date }[] =
      await this.dataSource.query(
        `SELECT ts.id, ts.host_id AS "hostId", ts.tenant_id AS "tenantId", ts.subnet::text AS subnet,
                ts.created_at AS "createdAt"
           FROM tenant_subnets ts
          WHERE ($1::uuid IS NULL OR ts.tenant_id = $1)
            AND NOT EXISTS (SELECT 1 FROM replicas r
                             WHERE r.host_id = ts.host_id AND r.tenant_id = ts.tenant_id AND r.state <> 'gone')
            AND NOT EXISTS (SELECT 1 FROM builds b
                             WHERE b.host_id = ts.host_id AND b.tenant_id = ts.tenant_id AND b.status = 'running')`,
        [filter.tenantId ?? null],
      );
    return rows.map((row) => Object.assign(new TenantSubnet(), row));
  }

  /** Every recorded subnet (the start-up check and tests read them). */
  all(): Promise<TenantSubnet[]> {
    return this.dataSource.getRepository(TenantSubnet).find({ order: { subnet: 'ASC' } });
  }
}
