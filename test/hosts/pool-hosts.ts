import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Session, TestApi } from '../support/api.js';

const run = promisify(execFile);
const SCRIPT = path.resolve('scripts/pool-hosts.sh');

/** Extra dockerd processes on this machine, started by scripts/pool-hosts.sh, acting as pool hosts. */
export interface PoolHosts {
  endpoints: string[];
  /** False when every host was already running before (someone else's): then stop() leaves them be. */
  startedHere: boolean;
}

function hostsDir(): string {
  return path.resolve(process.env.BERTH_DATA_DIR ?? '.data', 'hosts');
}

/** The hosts h1..hN that `status` reports as running. */
async function runningHosts(): Promise<Set<number>> {
  // status exits 1 when a known host is stopped; its output is still the answer.
  const result = await run('bash', [SCRIPT, 'status'], { timeout: 60_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const running = new Set<number>();
  for (const line of result.stdout.split('\n')) {
    const match = /^h(\d)\t\S+\trunning\t/.exec(line);
    if (match) running.add(Number(match[1]));
  }
  return running;
}

/** Starts h1..hN (those not running yet) and returns their endpoints. */
export async function startPoolHosts(count: number): Promise<PoolHosts> {
  const before = await runningHosts();
  const startedHere = Array.from({ length: count }, (_, i) => i + 1).some((i) => !before.has(i));
  const { stdout } = await run('bash', [SCRIPT, 'start', String(count)], { timeout: 180_000 });
  const endpoints = stdout.split('\n').filter((line) => line.startsWith('unix://'));
  if (endpoints.length !== count) throw new Error(`pool-hosts.sh start ${count} printed ${stdout}`);
  return { endpoints, startedHere };
}

/** Stops every pool host, but only if this test started some: a pool someone else runs is left as found. */
export async function stopPoolHosts(pool: PoolHosts | undefined): Promise<void> {
  if (!pool?.startedHere) return;
  await run('bash', [SCRIPT, 'stop'], { timeout: 180_000 });
}

/**
 * Stops host `i`'s dockerd (SIGTERM, as a shutdown or a crash-and-restart by systemd would) and waits
 * until it has exited, so its socket no longer answers. Only the pid its pidfile names, and only if that
 * process is the dockerd serving this host's socket.
 */
export async function stopPoolHost(i: number): Promise<void> {
  const pidfile = path.join(hostsDir(), `h${i}`, 'dockerd.pid');
  const pid = Number((await fs.readFile(pidfile, 'utf8')).trim());
  const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  if (!cmdline.startsWith('dockerd') || !cmdline.includes(` -H unix:///run/berth-hosts/h${i}.sock `)) {
    throw new Error(`pid ${pid} in ${pidfile} is not the dockerd of pool host h${i}: ${cmdline}`);
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`dockerd of h${i} (pid ${pid}) did not exit within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Unregisters a host at the end of a test file, waiting while its last replicas finish leaving (409
 * host_not_empty): other files register the same endpoints in this run's database, so a host left
 * behind would make their registrations fail. Throws with the last answer when it cannot.
 */
export async function unregisterHost(api: TestApi, operator: Session, hostId: string): Promise<void> {
  let last = '';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await api.http.delete(`/v1/admin/hosts/${hostId}`).set(operator.auth);
    if (res.status === 204 || res.status === 404) return;
    last = `${res.status} ${JSON.stringify(res.body)}`;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`host ${hostId} could not be unregistered: ${last}`);
}
