import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EnginePool } from '../hosts/index.js';
import { describeRoute, readMachineRoutes } from './machine-routes.js';
import { TENANT_SUBNET_POOL } from './tenant-networks.service.js';
import { blocksOverlap, formatBlock, parseBlock, type SubnetPool } from './subnet-pool.js';

const HOST_CHECK_TIMEOUT_MS = 5000;
/** Where the machine's routes are read (a test gives a file of its own). */
export const MACHINE_ROUTES_FILE = Symbol('MACHINE_ROUTES_FILE');
const IPV4_CIDR = /^\d+\.\d+\.\d+\.\d+\/\d+$/;

export class SubnetPoolOverlapError extends Error {
  override readonly name = 'SubnetPoolOverlapError';
}

/**
 * Refuses to start (before any control loop runs) when the tenant subnet pool overlaps an address range
 * already in use: a route of this machine (LAN, VPN, ...), or a Docker network on a registered host
 * that is not a Berth tenant network (docker0, a pool host's bridge, an operator's own network). Tenant
 * containers would otherwise shadow those addresses, or Docker would refuse the tenant networks.
 */
@Injectable()
export class SubnetPoolCheck implements OnModuleInit {
  private readonly logger = new Logger('SubnetPoolCheck');

  constructor(
    @Inject(TENANT_SUBNET_POOL) private readonly pool: SubnetPool,
    private readonly engines: EnginePool,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(MACHINE_ROUTES_FILE) private readonly routesFile = '/proc/net/route',
  ) {}

  async onModuleInit(): Promise<void> {
    // Without a database (the OpenAPI generator only reads decorators) Berth runs nothing to protect.
    if (!this.dataSource.isInitialized) return;
    const range = formatBlock(this.pool.range);
    const refuse = (what: string) =>
      new SubnetPoolOverlapError(
        `BERTH_TENANT_SUBNETS ${range} overlaps ${what}: choose a tenant subnet range that nothing else uses`,
      );
    for (const route of await readMachineRoutes(this.routesFile)) {
      if (blocksOverlap(route.destination, this.pool.range)) {
        throw refuse(`the route ${describeRoute(route)} of this machine`);
      }
    }
    for (const host of await this.engines.hosts()) {
      if (host.status === 'down') continue;
      const engine = await this.engines.engineFor(host);
      const networks = await withTimeout(engine.listNetworks({ labels: {} })).catch((error: unknown) => {
        this.logger.warn(`host ${host.name}: its networks could not be checked against ${range}: ${error}`);
        return [];
      });
      for (const network of networks) {
        if (network.labels['berth.tenant'] !== undefined) continue;
        for (const { subnet } of network.ipam) {
          if (IPV4_CIDR.test(subnet) && blocksOverlap(parseBlock(subnet), this.pool.range)) {
            throw refuse(`the Docker network ${network.name} (${subnet}) on host ${host.name}`);
          }
        }
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${HOST_CHECK_TIMEOUT_MS} ms`)),
      HOST_CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
