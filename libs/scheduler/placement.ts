/**
 * Where new replicas (and builds) go, as pure functions: no Nest, no database, no Docker.
 * The caller reads hosts and replicas from the database, asks here, and records the answer;
 * nothing in this file mutates its input.
 *
 * Rules, in order:
 *  1. Only `ready` hosts take new work. Cordoned, draining and down hosts never do.
 *  2. A host takes a replica only if its free memory (`memoryMb - allocatedMb`, less what this
 *     call has already put there) is at least the replica's memory.
 *  3. Spread first: the host running the fewest replicas of this app (existing + placed by this
 *     call) wins, so losing one host loses as few replicas of an app as possible.
 *  4. Then the host with the most free memory, which keeps load even across the pool.
 *  5. Then the lowest host id, so the same input always gives the same answer.
 *  6. All or nothing: if not every replica fits, `NoCapacityError` and no placement at all, so a
 *     scale-up never half happens.
 */

export type HostStatus = 'ready' | 'cordoned' | 'draining' | 'down';

export interface PlacementHost {
  id: string;
  status: HostStatus;
  /** Memory the host offers to tenant containers, in MB (host memory less the platform's reserve). */
  memoryMb: number;
  /** Memory of the containers already on the host, in MB; includes the app's `existing` replicas. */
  allocatedMb: number;
  /** Operator labels (zone, disk…); no rule reads them yet, constraints will. */
  labels?: Record<string, string>;
}

export interface PlacementRequest {
  appId: string;
  /** New replicas to place. */
  count: number;
  /** Memory of one replica, in MB (the plan's container size). */
  memoryMb: number;
  /** The app's replicas already running, to spread against; their memory is in `allocatedMb`. */
  existing: readonly { hostId: string }[];
}

export interface Placement {
  hostId: string;
}

/** Thrown when the pool cannot take the whole request; carries the figures an API error shows. */
export class NoCapacityError extends Error {
  /** `replicas × memoryMbPerReplica`. */
  readonly requestedMb: number;
  readonly replicas: number;
  readonly memoryMbPerReplica: number;
  /** How many of the replicas the pool could have taken (fewer than `replicas`). */
  readonly placeableReplicas: number;
  /** Largest free memory on any ready host before this request, in MB. */
  readonly largestFreeMb: number;
  readonly readyHosts: number;

  constructor(figures: {
    replicas: number;
    memoryMbPerReplica: number;
    placeableReplicas: number;
    largestFreeMb: number;
    readyHosts: number;
    /** What is being placed, for the message: `replica` or `build`. */
    unit?: string;
  }) {
    const unit = figures.unit ?? 'replica';
    const room =
      figures.placeableReplicas > 0 ? ` (room for ${plural(figures.placeableReplicas, unit)})` : '';
    super(
      `no capacity: ${plural(figures.replicas, unit)} of ${figures.memoryMbPerReplica} MB needed${room}, ` +
        `largest free block on ${plural(figures.readyHosts, 'ready host')} is ${figures.largestFreeMb} MB`,
    );
    this.name = 'NoCapacityError';
    this.replicas = figures.replicas;
    this.memoryMbPerReplica = figures.memoryMbPerReplica;
    this.requestedMb = figures.replicas * figures.memoryMbPerReplica;
    this.placeableReplicas = figures.placeableReplicas;
    this.largestFreeMb = figures.largestFreeMb;
    this.readyHosts = figures.readyHosts;
  }
}

/**
 * Picks a host for each of `request.count` new replicas, in placement order.
 * Throws `NoCapacityError` when they do not all fit, `RangeError` on a malformed request.
 */
export function placeReplicas(hosts: readonly PlacementHost[], request: PlacementRequest): Placement[] {
  const { count, memoryMb } = request;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`replica count must be a non-negative integer, got ${count}`);
  }
  assertPositiveMemory(memoryMb);
  if (count === 0) return [];

  const replicasByHost = new Map<string, number>();
  for (const { hostId } of request.existing) {
    replicasByHost.set(hostId, (replicasByHost.get(hostId) ?? 0) + 1);
  }

  // Working copies of the ready hosts that can take at least one replica; the input stays untouched.
  const candidates: Candidate[] = [];
  let readyHosts = 0;
  let largestFreeMb = 0;
  let placeableReplicas = 0;
  for (const host of hosts) {
    if (host.status !== 'ready') continue;
    readyHosts++;
    const freeMb = freeMemoryMb(host);
    if (freeMb > largestFreeMb) largestFreeMb = freeMb;
    if (freeMb < memoryMb) continue;
    // Every placement takes one slot from one host and a host with a slot left is always eligible,
    // so the rules below place exactly this many before running dry: all-or-nothing can be decided
    // here, before any work.
    placeableReplicas += Math.floor(freeMb / memoryMb);
    candidates.push({ id: host.id, freeMb, replicas: replicasByHost.get(host.id) ?? 0 });
  }

  const noCapacity = (): NoCapacityError =>
    new NoCapacityError({
      replicas: count,
      memoryMbPerReplica: memoryMb,
      placeableReplicas,
      largestFreeMb,
      readyHosts,
    });
  if (placeableReplicas < count) throw noCapacity();

  // A plain scan per replica: O(hosts × count). 10,000 placements on 1,000 hosts take under 100 ms
  // (bench/placement.ts), so a heap would buy little and cost clarity.
  const placements: Placement[] = [];
  for (let placed = 0; placed < count; placed++) {
    let best: Candidate | undefined;
    for (const candidate of candidates) {
      if (candidate.freeMb < memoryMb) continue;
      if (best === undefined || ranksBefore(candidate, best)) best = candidate;
    }
    // Only reachable if the slot count above was wrong (fractional memory figures); still all-or-nothing.
    if (best === undefined) throw noCapacity();
    best.freeMb -= memoryMb;
    best.replicas++;
    placements.push({ hostId: best.id });
  }
  return placements;
}

/**
 * Picks the host for an image build: the ready host with the most free memory that fits
 * (lowest id on a tie). Builds have no siblings to spread against.
 */
export function chooseBuildHost(hosts: readonly PlacementHost[], memoryMb: number): string {
  assertPositiveMemory(memoryMb);
  let best: Candidate | undefined;
  let readyHosts = 0;
  let largestFreeMb = 0;
  for (const host of hosts) {
    if (host.status !== 'ready') continue;
    readyHosts++;
    const candidate: Candidate = { id: host.id, freeMb: freeMemoryMb(host), replicas: 0 };
    if (candidate.freeMb > largestFreeMb) largestFreeMb = candidate.freeMb;
    if (candidate.freeMb < memoryMb) continue;
    if (best === undefined || ranksBefore(candidate, best)) best = candidate;
  }
  if (best === undefined) {
    throw new NoCapacityError({
      replicas: 1,
      memoryMbPerReplica: memoryMb,
      placeableReplicas: 0,
      largestFreeMb,
      readyHosts,
      unit: 'build',
    });
  }
  return best.id;
}

/** A ready host as this call sees it: free memory and app replicas include this call's placements. */
interface Candidate {
  id: string;
  freeMb: number;
  replicas: number;
}

/** True when `a` should take the next replica ahead of `b`: fewest replicas, most free memory, lowest id. */
function ranksBefore(a: Candidate, b: Candidate): boolean {
  if (a.replicas !== b.replicas) return a.replicas < b.replicas;
  if (a.freeMb !== b.freeMb) return a.freeMb > b.freeMb;
  // Code-unit order, not localeCompare: the same on every machine and locale.
  return a.id < b.id;
}

/** An overcommitted host (allocated above capacity) has no room, not negative room. */
function freeMemoryMb(host: PlacementHost): number {
  return Math.max(0, host.memoryMb - host.allocatedMb);
}

function assertPositiveMemory(memoryMb: number): void {
  // Whole megabytes keep the slot count in placeReplicas exact (no floating-point drift).
  if (!Number.isSafeInteger(memoryMb) || memoryMb <= 0) {
    throw new RangeError(`memory per replica must be a positive whole number of MB, got ${memoryMb}`);
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
