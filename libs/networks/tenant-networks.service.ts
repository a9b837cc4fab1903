import { Inject, Injectable, Logger } from '@nestjs/common';
import { tenantNetworkName } from '../engine/index.js';
import { EnginePool, type Host } from '../hosts/index.js';
import { planTenantNetwork } from './tenant-network-plan.js';
import { formatBlock, gatewayOf, type SubnetPool } from './subnet-pool.js';
import { TenantSubnetsRepository, type TenantSubnetRows } from './tenant-subnets.repository.js';

export const TENANT_SUBNET_POOL = Symbol('TENANT_SUBNET_POOL');

export class SubnetPoolExhaustedError extends Error {
  override readonly name = 'SubnetPoolExhaustedError';
}

/**
 * Each tenant's bridge network on each host, on a subnet Berth allocates from its own pool
 * (BERTH_TENANT_SUBNETS) and records per (host, tenant): never from the daemon's default address pools,
 * which hold only about 30 networks. `ensure` before anything of the tenant joins the network on a
 * host; `releaseUnused` once nothing of it is left there (network removed, then the row freed).
 */
@Injectable()
export class TenantNetworks {
  private readonly logger = new Logger('TenantNetworks');

  constructor(
    @Inject(TENANT_SUBNET_POOL) private readonly pool: SubnetPool,
    private readonly subnets: TenantSubnetsRepository,
    private readonly engines: EnginePool,
  ) {}

  /** Makes sure the tenant's network exists on the host, on its recorded subnet; returns its name. */
  async ensure(options: { host: Host; tenantId: string }): Promise<string> {
    const { host, tenantId } = options;
    const name = tenantNetworkName(tenantId);
    const engine = await this.engines.engineFor(host);
    // Read before the transaction: inside it a second pool connection, wanted while holding the allocator's
    // lock, waited forever once every other connection was a caller queued for that lock (the scale bench
    // hung so with 24 new tenants at once on a pool of 20).
    const hosts = await this.engines.hosts();
    await this.subnets.withTenantNetwork({ hostId: host.id, tenantId }, async (rows) => {
      const recorded = (await rows.find())?.subnet;
      const existing = (await engine.inspectNetwork({ name }))?.ipam.map((config) => config.subnet);
      const state = { pool: this.pool, recorded, existing, takenByOthers: [], hostNetworks: [] };
      if (planTenantNetwork(state).kind === 'ready') return;
      const plan = planTenantNetwork({
        ...state,
        takenByOthers: await rows.takenByOthers(),
        hostNetworks: await this.subnetsOnHosts(hosts),
      });
      if (plan.kind === 'ready') return;
      if (plan.kind === 'exhausted') {
        throw new SubnetPoolExhaustedError(
          `no free tenant subnet left in ${formatBlock(this.pool.range)} (/${this.pool.subnetPrefix} each)`,
        );
      }
      const subnet = formatBlock(plan.subnet);
      await record(rows, recorded, subnet);
      const labels = { 'berth.tenant': tenantId };
      if (plan.kind === 'adopt') {
        this.logger.log(`host ${host.name}: adopted network ${name} on ${subnet}`);
        return;
      }
      if (plan.kind === 'recreate') {
        try {
          await engine.removeNetwork({ name });
        } catch {
          // Containers still use it: it keeps serving until the tenant's last one on this host is gone.
          this.logger.warn(
            `host ${host.name}: ${name} is on ${existing?.join(', ')}; moves to ${subnet} once empty`,
          );
          return;
        }
      }
      // A failure (e.g. another installation sharing the engine took the subnet a moment ago) rolls the
      // row back; the caller's next attempt sees that network and allocates around it.
      await engine.ensureNetwork({ name, labels, subnet, gateway: gatewayOf(plan.subnet) });
      this.logger.log(`host ${host.name}: network ${name} on ${subnet}`);
    });
    return name;
  }

  /**
   * Removes the networks of (host, tenant) pairs with nothing left of the tenant on the host, and frees
   * their subnets. A network Docker still refuses to remove (a container of it is still there) stays,
   * with its row, for a later pass. Returns how many subnets were freed.
   */
  async releaseUnused(options: { hosts: Host[]; tenantId?: string }): Promise<number> {
    const hostById = new Map(options.hosts.map((host) => [host.id, host]));
    let released = 0;
    for (const candidate of await this.subnets.releaseCandidates({ tenantId: options.tenantId })) {
      const host = hostById.get(candidate.hostId);
      if (host?.status === 'down') continue;
      const key = { hostId: candidate.hostId, tenantId: candidate.tenantId };
      const freed = await this.subnets
        .withTenantNetwork(key, async (rows) => {
          if (host && (await rows.inUse())) return false;
          if (host) {
            const engine = await this.engines.engineFor(host);
            await engine.removeNetwork({ name: tenantNetworkName(candidate.tenantId) });
          }
          await rows.delete();
          return true;
        })
        .catch((error: unknown) => {
          this.logger.debug(
            `${tenantNetworkName(candidate.tenantId)} on host ${candidate.hostId} stays: ${error}`,
          );
          return false;
        });
      if (freed) released += 1;
    }
    return released;
  }

  /**
   * Subnets of every network on every reachable host, recorded or not (left by an earlier installation,
   * made by the operator or another Berth sharing an engine): a subnet stays unique across the pool even
   * against networks Berth does not know, so hosts that share a kernel (or a flat network) never route
   * one subnet two ways.
   */
  private async subnetsOnHosts(hosts: Host[]): Promise<string[]> {
    const perHost = await Promise.all(
      hosts
        .filter((host) => host.status !== 'down')
        .map(async (host) => {
          const engine = await this.engines.engineFor(host);
          const networks = await engine.listNetworks({ labels: {} }).catch((error: unknown) => {
            this.logger.warn(`host ${host.name}: networks not listed for subnet allocation: ${error}`);
            return [];
          });
          return networks.flatMap((network) => network.ipam.map((config) => config.subnet));
        }),
    );
    return perHost.flat();
  }
}

async function record(rows: TenantSubnetRows, recorded: string | undefined, subnet: string): Promise<void> {
  if (recorded === subnet) return;
  if (recorded === undefined) await rows.insert(subnet);
  else await rows.updateSubnet(subnet);
}
