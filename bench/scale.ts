/**
 * Scale: what 10, 100 and 1,000 tenants (one app each, 30 % of them running one replica: 300 at 1,000)
 * on one host cost Berth's control plane and the host. Per level: the time a new tenant's first replica
 * takes (network + container, Berth) against the same Engine calls made directly (raw), the host's
 * iptables rules, the p99 of one tenant's GET /v1/apps, a full and a targeted reconcile pass (time and
 * SQL statements), and the process's memory. Method: bench/README.md, "Scale".
 */
import crypto from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppChanges } from '../libs/apps/index.js';
import { ReconcileLoop, type ReconcilePassRecord } from '../libs/runtime/index.js';
import { minimalApp } from './bench-archives.js';
import { BENCH_LABEL, BENCH_SMALL_PLAN, type BenchContext } from './bench-stack.js';
import { waitServing } from './berth-waits.js';
import { load } from './load.js';
import { formatMb, formatMs, median, now, sleep, waitUntil } from './probes.js';
import { rawRun } from './raw-docker.js';
import type { BenchOutcome, BenchRow } from './report.js';
import {
  insertTenants,
  iptablesRuleCount,
  runApps,
  runningReplicas,
  waitRunning,
  waitStarted,
} from './scale-fixtures.js';

const FULL_LEVELS = [10, 100, 1000];
const QUICK_LEVELS = [10, 100];
/** Share of tenants whose app runs one replica (300 of 1,000). */
const RUNNING_SHARE = 0.3;
/** New tenants (Berth) and network + container pairs (raw) timed at each level; the median counts. */
const CREATE_SAMPLES = 3;
const BURST_SECONDS = 3;
const CONNECTIONS = 10;
const RAMP_TIMEOUT_MS = 20 * 60_000;
const MARKER = 'scale';

export const SCALE_METHOD =
  `tenants ${FULL_LEVELS.join(', ')} (quick: ${QUICK_LEVELS.join(', ')}; BERTH_BENCH_SCALE_LEVELS overrides), ` +
  `one app each, ${RUNNING_SHARE * 100} % running one ${BENCH_SMALL_PLAN.memoryMb} MB replica of one image; ` +
  `per level: a new tenant's first replica (Berth) vs network + container made directly (raw), ` +
  `median of ${CREATE_SAMPLES}; iptables rules; p99 of GET /v1/apps (${CONNECTIONS} connections, ` +
  `${BURST_SECONDS} s); a full and a targeted reconcile pass (time, SQL statements); process memory`;

interface Level {
  tenants: number;
  runningReplicas: number;
  /** From the first release to every replica of the level running (the ramp, not a figure to compare). */
  rampMs: number;
  /** Failures apps reported during the ramp (retried by the reconciler). */
  rampFailures: string[];
  berthCreateMs: number;
  rawNetworkMs: number;
  rawContainerMs: number;
  iptablesRules: number | null;
  appsP99Ms: number;
  appsRequestsPerSecond: number;
  fullPass: ReconcilePassRecord;
  targetedPass: ReconcilePassRecord;
  rssBytes: number;
  heapUsedBytes: number;
}

export function scaleLevels(quick: boolean): number[] {
  const fromEnv = process.env.BERTH_BENCH_SCALE_LEVELS;
  if (fromEnv)
    return fromEnv
      .split(',')
      .map((n) => Number.parseInt(n, 10))
      .filter((n) => n > 0);
  return quick ? QUICK_LEVELS : FULL_LEVELS;
}

export async function runScaleBench(ctx: BenchContext): Promise<BenchOutcome> {
  const started = now();
  const { stack } = ctx;
  const dataSource = stack.resolve(DataSource);
  const changes = stack.resolve(AppChanges);
  const loop = stack.resolve(ReconcileLoop);
  const plan = BENCH_SMALL_PLAN;

  // The probe tenant signs up through the API; its app is built once, and its image serves every replica.
  const probe = await stack.tenant('scale-probe', plan);
  const probeApp = await probe.createApp('probe');
  const buildId = await probe.upload('probe', await minimalApp(MARKER));
  await waitServing(probe, 'probe', { count: 1, body: MARKER, buildId, timeoutMs: 300_000 });
  const [{ image }] = (await dataSource.query(
    `SELECT r.image FROM apps a JOIN releases r ON r.id = a.current_release_id WHERE a.id = $1`,
    [probeApp.id],
  )) as { image: string }[];
  ctx.log(`probe tenant's app serves; its image ${image} runs every replica`);

  const stopped: string[] = [];
  let tenants = 1;
  let running = 1;
  const levels: Level[] = [];
  for (const target of scaleLevels(ctx.quick)) {
    if (target < tenants) continue;
    stopped.push(...(await insertTenants(dataSource, target - tenants, plan)));
    tenants = target;
    const wanted = Math.max(1, Math.round(target * RUNNING_SHARE));
    const t0 = now();
    await runApps(dataSource, changes, stopped.splice(0, Math.max(0, wanted - running)), { image, plan });
    const rampFailures = await waitRunning(dataSource, wanted, { timeoutMs: RAMP_TIMEOUT_MS, log: ctx.log });
    running = wanted;
    const rampMs = now() - t0;
    ctx.log(`${tenants} tenants, ${running} replicas running (ramp ${formatMs(rampMs)})`);
    await sleep(2000);

    // A new tenant's first replica: its subnet, network and container (Berth); the same calls raw.
    const berthCreate: number[] = [];
    for (let i = 0; i < CREATE_SAMPLES; i++) {
      const [appId] = await insertTenants(dataSource, 1, plan);
      const t = now();
      await runApps(dataSource, changes, [appId], { image, plan });
      await waitStarted(dataSource, appId, 120_000);
      berthCreate.push(now() - t);
      tenants += 1;
      running += 1;
    }
    const raw = await rawCreates(ctx, image);
    const iptablesRules = await iptablesRuleCount();

    const headers = { authorization: await probe.authorization() };
    const url = `${stack.url}/v1/apps`;
    await load({ url, headers, connections: CONNECTIONS, durationSeconds: 1 });
    const apps = await load({ url, headers, connections: CONNECTIONS, durationSeconds: BURST_SECONDS });

    const fullPass = await nextPass(loop, 'full', () => loop.wake());
    const targetedPass = await nextPass(loop, 'apps', () => void changes.notify(probeApp.id));
    const memory = process.memoryUsage();
    const level: Level = {
      tenants,
      runningReplicas: await runningReplicas(dataSource),
      rampMs,
      rampFailures,
      berthCreateMs: median(berthCreate),
      rawNetworkMs: median(raw.networkMs),
      rawContainerMs: median(raw.containerMs),
      iptablesRules,
      appsP99Ms: apps.p99Ms,
      appsRequestsPerSecond: apps.requestsPerSecond,
      fullPass,
      targetedPass,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    };
    levels.push(level);
    ctx.log(
      `${level.tenants} tenants, ${level.runningReplicas} replicas: new tenant's replica ` +
        `${formatMs(level.berthCreateMs)} (raw network ${formatMs(level.rawNetworkMs)} + container ` +
        `${formatMs(level.rawContainerMs)}); iptables ${iptablesRules ?? 'n/a'} rules; GET /v1/apps p99 ` +
        `${formatMs(apps.p99Ms)}; full pass ${formatMs(fullPass.ms)} (${fullPass.apps} apps, ` +
        `${fullPass.queries} queries), targeted pass ${formatMs(targetedPass.ms)} (${targetedPass.queries} ` +
        `queries); RSS ${formatMb(memory.rss)}, heap ${formatMb(memory.heapUsed)}`,
    );
  }
  return {
    name: 'scale',
    method: SCALE_METHOD,
    rows: rowsOf(levels),
    details: { levels, runningShare: RUNNING_SHARE, plan: plan.id },
    durationMs: now() - started,
  };
}

/** Waits for the loop's next pass of `kind` after `trigger` and returns its record. */
async function nextPass(
  loop: ReconcileLoop,
  kind: ReconcilePassRecord['kind'],
  trigger: () => void,
): Promise<ReconcilePassRecord> {
  const since = new Date();
  trigger();
  return waitUntil(
    `a ${kind} reconcile pass`,
    async () => loop.recentPasses().find((p) => p.kind === kind && p.at >= since && p.apps > 0),
    { timeoutMs: 300_000, intervalMs: 50 },
  );
}

/**
 * Raw: a bridge network on a subnet of its own (outside Berth's pool) and a hardened container of the
 * same image on it, timed apart, then removed (untimed). Subnets another network holds are skipped.
 */
async function rawCreates(
  ctx: BenchContext,
  image: string,
): Promise<{ networkMs: number[]; containerMs: number[] }> {
  const { stack } = ctx;
  const networkMs: number[] = [];
  const containerMs: number[] = [];
  for (let i = 0; i < CREATE_SAMPLES; i++) {
    const network = `bench-raw-${stack.runId}-${crypto.randomBytes(3).toString('hex')}`;
    let t: number;
    for (let attempt = 0; ; attempt++) {
      const octet = crypto.randomInt(0, 256);
      try {
        t = now();
        await stack.engine.ensureNetwork({
          name: network,
          labels: { [BENCH_LABEL]: stack.runId },
          subnet: `10.250.${octet}.0/24`,
          gateway: `10.250.${octet}.1`,
        });
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
      }
    }
    networkMs.push(now() - t);
    t = now();
    const container = await rawRun(
      { engine: stack.engine, runId: stack.runId, network },
      {
        image,
        appName: 'scale-raw',
        plan: BENCH_SMALL_PLAN,
      },
    );
    containerMs.push(now() - t);
    await stack.engine.removeContainer({ id: container.id, force: true });
    await stack.engine.removeNetwork({ name: network });
  }
  return { networkMs, containerMs };
}

function rowsOf(levels: Level[]): BenchRow[] {
  const first = levels[0];
  const last = levels[levels.length - 1];
  if (!first || !last) return [];
  const at = (pick: (l: Level) => string) => levels.map((l) => `${pick(l)} @${l.tenants}`).join(', ');
  const growth = (pick: (l: Level) => number) => pick(last) / pick(first);
  const span = `${first.tenants} → ${last.tenants} tenants`;
  return [
    {
      name: `scale: new tenant's network + container (${span})`,
      berth: at((l) => formatMs(l.berthCreateMs)),
      raw: at((l) => formatMs(l.rawNetworkMs + l.rawContainerMs)),
      ratio: growth((l) => l.berthCreateMs),
      ratioOf: `Berth @${last.tenants} ÷ @${first.tenants}`,
    },
    {
      name: 'scale: iptables rules',
      berth: at((l) => String(l.iptablesRules ?? 'n/a')),
      raw: '–',
      ratio: first.iptablesRules && last.iptablesRules ? last.iptablesRules / first.iptablesRules : null,
      ratioOf: `@${last.tenants} ÷ @${first.tenants}`,
    },
    {
      name: 'scale: GET /v1/apps p99 (one tenant)',
      berth: at((l) => formatMs(l.appsP99Ms)),
      raw: '–',
      ratio: growth((l) => l.appsP99Ms),
      ratioOf: `@${last.tenants} ÷ @${first.tenants}`,
    },
    {
      name: 'scale: full reconcile pass (time, queries)',
      berth: at((l) => `${formatMs(l.fullPass.ms)}/${l.fullPass.queries}q`),
      raw: '–',
      ratio: growth((l) => l.fullPass.ms),
      ratioOf: `time @${last.tenants} ÷ @${first.tenants}`,
    },
    {
      name: 'scale: targeted reconcile pass, one app (time, queries)',
      berth: at((l) => `${formatMs(l.targetedPass.ms)}/${l.targetedPass.queries}q`),
      raw: '–',
      ratio: growth((l) => l.targetedPass.ms),
      ratioOf: `time @${last.tenants} ÷ @${first.tenants}`,
    },
    {
      name: 'scale: API + worker process RSS',
      berth: at((l) => formatMb(l.rssBytes)),
      raw: '–',
      ratio: growth((l) => l.rssBytes),
      ratioOf: `@${last.tenants} ÷ @${first.tenants}`,
    },
  ];
}
