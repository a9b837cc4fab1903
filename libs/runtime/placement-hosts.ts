import type { DataSource } from 'typeorm';
import type { Host } from '../hosts/index.js';
import type { PlacementHost } from '../scheduler/index.js';

/**
 * Hosts as the scheduler sees them: the memory that live containers of every app (web replicas and load
 * balancers) already take on each. One definition, so replicas and balancers are placed by the same count.
 */
export async function placementHosts(dataSource: DataSource, hosts: Host[]): Promise<PlacementHost[]> {
  const rows: { hostId: string; mb: number }[] = await dataSource.query(
    `SELECT host_id AS "hostId", sum(memory_mb)::int AS mb FROM replicas WHERE state <> 'gone' GROUP BY host_id`,
  );
  const allocated = new Map(rows.map((r) => [r.hostId, r.mb]));
  return hosts.map((h) => ({
    id: h.id,
    status: h.status,
    memoryMb: h.memoryMb,
    allocatedMb: allocated.get(h.id) ?? 0,
  }));
}
