import { Injectable } from '@nestjs/common';
import { ProblemError } from '../errors/index.js';
import { type Host, HostsService } from '../hosts/index.js';
import type { Principal } from '../identity/index.js';
import { ReplicasRepository } from './replicas.repository.js';

/**
 * Removing a host from the pool: the hosts domain deletes it, the runtime (which owns replicas) refuses
 * while any replica is left on it.
 */
@Injectable()
export class HostRemoval {
  constructor(
    private readonly hosts: HostsService,
    private readonly replicas: ReplicasRepository,
  ) {}

  /** Only an empty host goes: one that still has replicas (any state but gone) is 409 host_not_empty. */
  remove(principal: Principal, id: string): Promise<void> {
    return this.hosts.remove(principal, id, async (host, manager) =>
      assertNoReplicas(host, await this.replicas.countLiveOnHost(manager, host.id)),
    );
  }
}

function assertNoReplicas(host: Host, replicas: number): void {
  if (replicas === 0) return;
  throw new ProblemError(
    409,
    'host_not_empty',
    'Conflict',
    `Host '${host.name}' still has ${replicas} replica${replicas === 1 ? '' : 's'}; drain it and remove it once they have moved`,
    { replicas },
  );
}
