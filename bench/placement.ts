/**
 * Placement benchmark: how fast libs/scheduler places replicas on a large pool, against a raw
 * round-robin loop in the same process. Method and inputs: bench/README.md, "Placement".
 *
 *   npm run build && node dist/bench/placement.js [--quick]
 */
import { pathToFileURL } from 'node:url';
import { type HostStatus, type PlacementHost, placeReplicas } from '../libs/scheduler/index.js';

export interface PlacementBenchOptions {
  /** 10× smaller: 100 hosts, 100 apps × 10 replicas. */
  quick?: boolean;
}

export interface PlacementBenchResult {
  name: 'placement';
  hosts: number;
  apps: number;
  replicasPerApp: number;
  /** Replicas placed per timed round (`apps × replicasPerApp`). */
  placements: number;
  /** Timed rounds per side; figures are from the median round. */
  rounds: number;
  placementsPerSecond: number;
  /** Milliseconds of the median Berth round. */
  totalMs: number;
  baselinePerSecond: number;
  baselineTotalMs: number;
  /** `placementsPerSecond / baselinePerSecond`: the price of the rules against picking blindly. */
  ratio: number;
}

const HOSTS = 1_000;
const APPS = 1_000;
const REPLICAS_PER_APP = 10;
const ROUNDS = 7;
const SEED = 20_261_123;

/** One app's scale-up: its id and the memory of one replica. */
interface AppToPlace {
  appId: string;
  memoryMb: number;
}

export async function runPlacementBench({
  quick = false,
}: PlacementBenchOptions = {}): Promise<PlacementBenchResult> {
  const hostCount = quick ? HOSTS / 10 : HOSTS;
  const appCount = quick ? APPS / 10 : APPS;
  const random = seededRandom(SEED);
  const pool = buildPool(random, hostCount);
  const apps = buildApps(random, appCount);
  const placements = appCount * REPLICAS_PER_APP;

  // Warm-up (and a correctness check) so both sides are timed as optimised code, not interpreted.
  const checked = structuredClone(pool);
  const placedInCheck = placeAll(checked, apps);
  if (placedInCheck !== placements) throw new Error(`placed ${placedInCheck} of ${placements} replicas`);
  checkPlacement(pool, checked);
  roundRobin(structuredClone(pool), apps);

  const berthMs = medianMs(
    ROUNDS,
    () => structuredClone(pool),
    (hosts) => placeAll(hosts, apps),
  );
  const baselineMs = medianMs(
    ROUNDS,
    () => structuredClone(pool),
    (hosts) => roundRobin(hosts, apps),
  );

  const placementsPerSecond = placements / (berthMs / 1_000);
  const baselinePerSecond = placements / (baselineMs / 1_000);
  return {
    name: 'placement',
    hosts: hostCount,
    apps: appCount,
    replicasPerApp: REPLICAS_PER_APP,
    placements,
    rounds: ROUNDS,
    placementsPerSecond,
    totalMs: berthMs,
    baselinePerSecond,
    baselineTotalMs: baselineMs,
    ratio: placementsPerSecond / baselinePerSecond,
  };
}

/**
 * What the reconciler does for a batch of new apps: one placeReplicas call per app, then record the
 * answer on the hosts so the next app sees the memory taken.
 */
function placeAll(hosts: PlacementHost[], apps: readonly AppToPlace[]): number {
  const indexById = new Map(hosts.map((host, i) => [host.id, i]));
  let placed = 0;
  for (const app of apps) {
    const chosen = placeReplicas(hosts, {
      appId: app.appId,
      count: REPLICAS_PER_APP,
      memoryMb: app.memoryMb,
      existing: [],
    });
    for (const { hostId } of chosen) {
      const i = indexById.get(hostId)!;
      // A fresh object, as a caller that treats hosts as immutable would make.
      hosts[i] = { ...hosts[i], allocatedMb: hosts[i].allocatedMb + app.memoryMb };
    }
    placed += chosen.length;
  }
  return placed;
}

/**
 * The raw baseline: the next host in turn, no status, memory or spread rules. Same host-copy
 * bookkeeping; no id-to-index lookup, since round-robin already holds the index.
 */
function roundRobin(hosts: PlacementHost[], apps: readonly AppToPlace[]): number {
  let next = 0;
  let placed = 0;
  for (const app of apps) {
    const chosen: { hostId: string }[] = [];
    for (let r = 0; r < REPLICAS_PER_APP; r++) {
      chosen.push({ hostId: hosts[next].id });
      hosts[next] = { ...hosts[next], allocatedMb: hosts[next].allocatedMb + app.memoryMb };
      next = (next + 1) % hosts.length;
    }
    placed += chosen.length;
  }
  return placed;
}

/** A fast wrong answer is no benchmark: replicas only on ready hosts, no host overfilled. */
function checkPlacement(before: readonly PlacementHost[], after: readonly PlacementHost[]): void {
  before.forEach((host, i) => {
    const grew = after[i].allocatedMb > host.allocatedMb;
    if (grew && host.status !== 'ready') throw new Error(`${host.id} is ${host.status} but got replicas`);
    if (grew && after[i].allocatedMb > host.memoryMb) throw new Error(`${host.id} is over capacity`);
  });
}

/** A pool like a real one: mixed machine sizes, already part full, a few hosts out of service. */
function buildPool(random: () => number, count: number): PlacementHost[] {
  const sizesMb = [8_192, 16_384, 16_384, 32_768, 32_768, 65_536];
  return Array.from({ length: count }, (_, i) => {
    const roll = random();
    const status: HostStatus =
      roll < 0.94 ? 'ready' : roll < 0.97 ? 'cordoned' : roll < 0.99 ? 'draining' : 'down';
    // 1 GB of each machine is kept for the OS, dockerd and the platform's own containers.
    const memoryMb = pick(random, sizesMb) - 1_024;
    return {
      id: `host-${String(i).padStart(4, '0')}`,
      status,
      memoryMb,
      allocatedMb: Math.floor(random() * 0.5 * memoryMb),
      labels: { zone: `zone-${i % 3}` },
    };
  });
}

/** Apps on plan sizes weighted toward the small plans, as tenants buy them. */
function buildApps(random: () => number, count: number): AppToPlace[] {
  const planSizesMb = [128, 128, 128, 256, 256, 256, 512, 512, 1_024, 2_048];
  return Array.from({ length: count }, (_, i) => ({
    appId: `app-${i}`,
    memoryMb: pick(random, planSizesMb),
  }));
}

/** Median of `rounds` timed runs; `prepare` (a fresh copy of the pool) is outside the timing. */
function medianMs<T>(rounds: number, prepare: () => T, run: (input: T) => number): number {
  const times: number[] = [];
  let sink = 0;
  for (let i = 0; i < rounds; i++) {
    const input = prepare();
    const start = process.hrtime.bigint();
    sink += run(input);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  // Using the result keeps the engine from discarding the work.
  if (sink <= 0) throw new Error('nothing was placed');
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** mulberry32: seeded, so every run benchmarks the same pool. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const size = quick ? 10 : 1;
  console.log(
    `placement: ${HOSTS / size} hosts, ${APPS / size} apps × ${REPLICAS_PER_APP} replicas ` +
      `(${(APPS / size) * REPLICAS_PER_APP} placements), median of ${ROUNDS} rounds…`,
  );
  const result = await runPlacementBench({ quick });
  console.log(
    `berth placeReplicas: ${formatRate(result.placementsPerSecond)}, ${result.totalMs.toFixed(2)} ms`,
  );
  console.log(
    `raw round-robin:     ${formatRate(result.baselinePerSecond)}, ${result.baselineTotalMs.toFixed(2)} ms`,
  );
  console.log(`ratio berth/raw:     ${result.ratio.toFixed(4)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
