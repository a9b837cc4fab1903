import type { Host } from '../hosts/index.js';
import type { PlacementHost } from '../scheduler/index.js';
import type { ReplicasRepository } from './replicas.repository.js';

/**
 * Hosts as the scheduler sees them: the memory that live containers of every app (web replicas and load
 * balancers) already take on each. One definition, so replicas and balancers are placed by the same count.
 */
export async function placementHosts(replicas: ReplicasRepository, hosts: Host[]): Promise<PlacementHost[]> {
  const allocated = await replicas.allocatedMbByHost();
  return hosts.map((h) => ({
    id: h.id,
    status: h.status,
    memoryMb: h.memoryMb,
    allocatedMb: allocated.get(h.id) ?? 0,
  }));
}
