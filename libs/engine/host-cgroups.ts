import { readFile } from 'node:fs/promises';

/** A container's pids counters: forks refused at its limit (`pids.events`), and its peak where kept. */
export interface PidsCounters {
  forkRefusals?: number;
  /** pids.peak (cgroup v2), else the count now (pids.current): a lower bound of the peak. */
  peak?: number;
}

/** Where Docker puts a container's pids cgroup: cgroup v1 and v2, cgroupfs and systemd drivers. */
function pidsCgroupDirs(containerId: string): string[] {
  return [
    `/sys/fs/cgroup/pids/docker/${containerId}`,
    `/sys/fs/cgroup/pids/system.slice/docker-${containerId}.scope`,
    `/sys/fs/cgroup/docker/${containerId}`,
    `/sys/fs/cgroup/system.slice/docker-${containerId}.scope`,
  ];
}

/**
 * The container's pids counters read from this machine's cgroup files, without an exec in the container
 * (a round trip through the engine, 60–250 ms after a cold install). Undefined when no such directory is
 * here: the container runs on another machine (its id names no cgroup here), or this process cannot see
 * the host's cgroups (it runs in a container itself); the caller then asks inside the container.
 */
export async function readHostPidsCounters(
  containerId: string,
  roots: (id: string) => string[] = pidsCgroupDirs,
): Promise<PidsCounters | undefined> {
  if (!/^[0-9a-f]{64}$/.test(containerId)) return undefined;
  for (const dir of roots(containerId)) {
    const events = await readFile(`${dir}/pids.events`, 'utf8').catch(() => undefined);
    if (events === undefined) continue;
    const counters: PidsCounters = {};
    const max = /^max (\d+)$/m.exec(events);
    if (max) counters.forkRefusals = Number(max[1]);
    const peak =
      (await readFile(`${dir}/pids.peak`, 'utf8').catch(() => undefined)) ??
      (await readFile(`${dir}/pids.current`, 'utf8').catch(() => undefined));
    if (peak !== undefined && /^\d+\s*$/.test(peak)) counters.peak = Number(peak);
    return counters;
  }
  return undefined;
}
