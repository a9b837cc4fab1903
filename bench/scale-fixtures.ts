/**
 * The scale benchmark's population: tenants with one app each, written straight into PostgreSQL (the rows
 * the API's signup and app creation write, less the owner user: a signup costs a bcrypt hash, ~0.3 s of
 * CPU here, 5 minutes for 1,000 tenants), and replicas started by giving an app a release of one image
 * built once through the API and telling the reconciler through AppChanges, as a deploy does.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import type { AppChanges } from '../libs/apps/index.js';
import type { PlanLimits } from './api-client.js';
import { sleep } from './probes.js';

/** Inserts `count` tenants on `plan`, each with one stopped app; resolves with the apps' ids. */
export async function insertTenants(
  dataSource: DataSource,
  count: number,
  plan: PlanLimits,
): Promise<string[]> {
  if (count <= 0) return [];
  const rows: { id: string }[] = await dataSource.query(
    `WITH t AS (
       INSERT INTO tenants (name, plan_id) SELECT 'scale-' || g, $1 FROM generate_series(1, $2) g RETURNING id
     )
     INSERT INTO apps (tenant_id, name, replicas) SELECT id, 'app', 1 FROM t RETURNING id`,
    [plan.id, count],
  );
  return rows.map((r) => r.id);
}

/**
 * Gives each app release v1 of `image` (the plan's size, one replica) and wants it running, then signals
 * each change the way the API does (AppChanges: every process's reconciler hears it).
 */
export async function runApps(
  dataSource: DataSource,
  changes: AppChanges,
  appIds: readonly string[],
  options: { image: string; plan: PlanLimits },
): Promise<void> {
  if (appIds.length === 0) return;
  await dataSource.query(
    `WITH r AS (
       INSERT INTO releases (app_id, tenant_id, version, image, memory_mb, cpu_millis, replicas, description, created_by)
       SELECT a.id, a.tenant_id, 1, $2, $3, $4, 1, 'scale bench', 'bench' FROM apps a WHERE a.id = ANY($1::uuid[])
       RETURNING id, app_id
     )
     UPDATE apps a SET current_release_id = r.id, desired_state = 'running', replicas = 1,
                       generation = a.generation + 1, phase = 'converging'
       FROM r WHERE a.id = r.app_id`,
    [appIds, options.image, options.plan.memoryMb, options.plan.cpuMillis],
  );
  for (const appId of appIds) await changes.notify(appId);
}

/** Web replicas in state `running` (accepting connections) across every app. */
export async function runningReplicas(dataSource: DataSource): Promise<number> {
  const [row] = (await dataSource.query(
    `SELECT count(*)::int AS n FROM replicas WHERE role = 'web' AND state = 'running'`,
  )) as { n: number }[];
  return row.n;
}

/**
 * Waits until at least `count` web replicas run; throws after `timeoutMs`. An app reporting `failed`
 * (e.g. a network Docker could not bring up) is logged, not fatal: the reconciler retries it, and the
 * failures seen are returned.
 */
export async function waitRunning(
  dataSource: DataSource,
  count: number,
  options: { timeoutMs: number; log: (line: string) => void },
): Promise<string[]> {
  const deadline = performance.now() + options.timeoutMs;
  const failures = new Set<string>();
  let lastLogged = performance.now();
  for (;;) {
    const running = await runningReplicas(dataSource);
    if (running >= count) return [...failures];
    const failed: { reason: string | null }[] = await dataSource.query(
      `SELECT DISTINCT status_reason AS reason FROM apps WHERE phase IN ('failed', 'crashloop')`,
    );
    for (const { reason } of failed) {
      if (reason && !failures.has(reason)) {
        failures.add(reason);
        options.log(`an app reports (the reconciler retries it): ${reason}`);
      }
    }
    if (performance.now() > deadline) throw new Error(`only ${running} of ${count} replicas running`);
    if (performance.now() - lastLogged > 30_000) {
      options.log(`${running} of ${count} replicas running…`);
      lastLogged = performance.now();
    }
    await sleep(500);
  }
}

/** Waits until the app's one web replica has a started container (network and container made). */
export async function waitStarted(dataSource: DataSource, appId: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows: unknown[] = await dataSource.query(
      `SELECT 1 FROM replicas WHERE app_id = $1 AND role = 'web' AND state IN ('starting', 'running')`,
      [appId],
    );
    if (rows.length > 0) return;
    if (performance.now() > deadline) throw new Error(`app ${appId}: no replica started`);
    await sleep(25);
  }
}

/** Rules in the host's iptables (every table, IPv4), as `iptables-save` prints them. */
export async function iptablesRuleCount(): Promise<number | null> {
  try {
    const { stdout } = await promisify(execFile)('iptables-save', [], {
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.split('\n').filter((line) => line.startsWith('-A ')).length;
  } catch {
    return null;
  }
}
