import { describe, expect, it } from '@jest/globals';
import {
  chooseBuildHost,
  type HostStatus,
  NoCapacityError,
  type Placement,
  type PlacementHost,
  type PlacementRequest,
  placeReplicas,
} from './placement.js';

/** A ready host with `freeMb` of room out of 16 GB unless told otherwise. */
function host(id: string, freeMb: number, overrides: Partial<PlacementHost> = {}): PlacementHost {
  const memoryMb = overrides.memoryMb ?? 16_384;
  return { id, status: 'ready', memoryMb, allocatedMb: memoryMb - freeMb, ...overrides };
}

function request(count: number, memoryMb: number, existingHostIds: string[] = []): PlacementRequest {
  return { appId: 'app-1', count, memoryMb, existing: existingHostIds.map((hostId) => ({ hostId })) };
}

function hostIds(placements: Placement[]): string[] {
  return placements.map((p) => p.hostId);
}

function countByHost(placements: Placement[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { hostId } of placements) counts.set(hostId, (counts.get(hostId) ?? 0) + 1);
  return counts;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** mulberry32: a small seeded PRNG so property checks are reproducible. */
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

function randomHosts(random: () => number, n: number, statuses: readonly HostStatus[]): PlacementHost[] {
  return Array.from({ length: n }, (_, i) => {
    const memoryMb = pick(random, [4_096, 8_192, 16_384, 32_768]);
    return {
      id: `host-${String(i).padStart(3, '0')}`,
      status: pick(random, statuses),
      memoryMb,
      allocatedMb: Math.floor(random() * memoryMb * 1.1), // a few are overcommitted
    };
  });
}

function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * The rules written the slow, obvious way (sort everything, take the first that fits, repeat),
 * to compare placeReplicas against on random inputs.
 */
function referencePlacement(
  hosts: readonly PlacementHost[],
  req: PlacementRequest,
): string[] | 'no capacity' {
  const state = hosts
    .filter((h) => h.status === 'ready')
    .map((h) => ({
      id: h.id,
      free: Math.max(0, h.memoryMb - h.allocatedMb),
      replicas: req.existing.filter((e) => e.hostId === h.id).length,
    }));
  const chosen: string[] = [];
  for (let i = 0; i < req.count; i++) {
    const next = state
      .filter((h) => h.free >= req.memoryMb)
      .sort(
        (a, b) => a.replicas - b.replicas || b.free - a.free || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )[0];
    if (!next) return 'no capacity';
    next.free -= req.memoryMb;
    next.replicas++;
    chosen.push(next.id);
  }
  return chosen;
}

describe('placeReplicas', () => {
  describe('spread', () => {
    it('puts one replica on each host before stacking a second on any', () => {
      const hosts = [host('a', 8_000), host('b', 8_000), host('c', 8_000)];
      const counts = countByHost(placeReplicas(hosts, request(3, 512)));
      expect(counts).toEqual(
        new Map([
          ['a', 1],
          ['b', 1],
          ['c', 1],
        ]),
      );
    });

    it('spreads even when one host has far more free memory than the others', () => {
      const hosts = [host('big', 16_000), host('small', 1_000)];
      expect(hostIds(placeReplicas(hosts, request(2, 512)))).toEqual(['big', 'small']);
    });

    it('counts the app’s existing replicas when spreading', () => {
      const hosts = [host('a', 8_000), host('b', 8_000), host('c', 8_000)];
      // a has 2, b has 1, c has 0; equal free memory before the call.
      expect(hostIds(placeReplicas(hosts, request(1, 512, ['a', 'a', 'b'])))).toEqual(['c']);
      // c (0) → then b and c tie at 1, b has more free memory → then c (1) beats a and b (2).
      expect(hostIds(placeReplicas(hosts, request(3, 512, ['a', 'a', 'b'])))).toEqual(['c', 'b', 'c']);
    });

    it('ignores existing replicas on hosts that are not in the pool or not ready', () => {
      const hosts = [host('a', 4_000), host('gone', 9_000, { status: 'down' })];
      expect(hostIds(placeReplicas(hosts, request(2, 512, ['gone', 'elsewhere'])))).toEqual(['a', 'a']);
    });

    it('falls back to a more loaded host when the least loaded ones have no room', () => {
      const hosts = [host('empty-but-full', 100), host('has-one', 4_000)];
      expect(hostIds(placeReplicas(hosts, request(1, 512, ['has-one'])))).toEqual(['has-one']);
    });
  });

  describe('most free memory', () => {
    it('among equally spread hosts, takes the one with the most free memory', () => {
      const hosts = [host('mid', 3_000), host('most', 4_000), host('least', 2_000)];
      expect(hostIds(placeReplicas(hosts, request(1, 512)))).toEqual(['most']);
      // Round one by free memory; round two again by what is left (3,488 > 2,488 > 1,488).
      expect(hostIds(placeReplicas(hosts, request(5, 512)))).toEqual(['most', 'mid', 'least', 'most', 'mid']);
    });

    it('breaks a tie on free memory by the lowest host id, whatever the input order', () => {
      const hosts = [host('b', 4_000), host('c', 4_000), host('a', 4_000)];
      expect(hostIds(placeReplicas(hosts, request(3, 512)))).toEqual(['a', 'b', 'c']);
      expect(hostIds(placeReplicas([...hosts].reverse(), request(3, 512)))).toEqual(['a', 'b', 'c']);
    });

    it('treats an overcommitted host as full, not as negative room', () => {
      const hosts = [host('over', 0, { memoryMb: 1_000, allocatedMb: 1_500 }), host('ok', 600)];
      expect(hostIds(placeReplicas(hosts, request(1, 512)))).toEqual(['ok']);
    });
  });

  describe('host status', () => {
    it.each<HostStatus>(['cordoned', 'draining', 'down'])('never places on a %s host', (status) => {
      const hosts = [host('not-ready', 64_000, { memoryMb: 65_536, status }), host('ready', 2_048)];
      expect(hostIds(placeReplicas(hosts, request(4, 512)))).toEqual(['ready', 'ready', 'ready', 'ready']);
    });

    it('fails rather than use a non-ready host when the ready ones are full', () => {
      const hosts = [host('cordoned', 64_000, { status: 'cordoned' }), host('ready', 256)];
      const error = catchError(() => placeReplicas(hosts, request(1, 512)));
      expect(error).toBeInstanceOf(NoCapacityError);
      expect(error).toMatchObject({ readyHosts: 1, largestFreeMb: 256 });
    });
  });

  describe('memory fit', () => {
    it('accounts for replicas placed earlier in the same call', () => {
      // 1,000 MB takes one 512 MB replica, not two.
      const error = catchError(() => placeReplicas([host('a', 1_000)], request(2, 512)));
      expect(error).toBeInstanceOf(NoCapacityError);
      expect(error).toMatchObject({ placeableReplicas: 1 });
    });

    it('fills a host exactly to its capacity', () => {
      expect(hostIds(placeReplicas([host('a', 1_024)], request(2, 512)))).toEqual(['a', 'a']);
    });

    it('moves to the host that still fits once the emptier one is full', () => {
      const hosts = [host('a', 1_024), host('b', 600)];
      expect(hostIds(placeReplicas(hosts, request(3, 512)))).toEqual(['a', 'b', 'a']);
    });
  });

  describe('all or nothing', () => {
    it('throws NoCapacityError with the shortfall figures and message', () => {
      const hosts = [host('a', 256), host('b', 200), host('c', 9_000, { status: 'draining' })];
      const error = catchError(() => placeReplicas(hosts, request(3, 512)));
      expect(error).toBeInstanceOf(NoCapacityError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({
        name: 'NoCapacityError',
        requestedMb: 1_536,
        replicas: 3,
        memoryMbPerReplica: 512,
        placeableReplicas: 0,
        largestFreeMb: 256,
        readyHosts: 2,
        message: 'no capacity: 3 replicas of 512 MB needed, largest free block on 2 ready hosts is 256 MB',
      });
    });

    it('says how many would have fitted when some would', () => {
      const hosts = [host('a', 600), host('b', 600)];
      const error = catchError(() => placeReplicas(hosts, request(3, 512)));
      expect(error).toMatchObject({
        placeableReplicas: 2,
        largestFreeMb: 600,
        message:
          'no capacity: 3 replicas of 512 MB needed (room for 2 replicas), ' +
          'largest free block on 2 ready hosts is 600 MB',
      });
    });

    it('reports an empty pool', () => {
      const error = catchError(() => placeReplicas([], request(1, 128)));
      expect(error).toMatchObject({
        readyHosts: 0,
        largestFreeMb: 0,
        message: 'no capacity: 1 replica of 128 MB needed, largest free block on 0 ready hosts is 0 MB',
      });
    });
  });

  describe('request checks', () => {
    it('places nothing for a count of zero, even on an empty pool', () => {
      expect(placeReplicas([], request(0, 512))).toEqual([]);
    });

    it.each([-1, 1.5, Number.NaN])('rejects a replica count of %p', (count) => {
      expect(() => placeReplicas([host('a', 4_000)], request(count, 512))).toThrow(RangeError);
    });

    it.each([0, -512, 0.5, Number.POSITIVE_INFINITY])('rejects %p MB per replica', (memoryMb) => {
      expect(() => placeReplicas([host('a', 4_000)], request(1, memoryMb))).toThrow(RangeError);
    });
  });

  describe('determinism and purity', () => {
    it('gives the same answer for the same pool in any order', () => {
      const random = seededRandom(7);
      const hosts = randomHosts(random, 50, ['ready']);
      const req = request(40, 256, ['host-001', 'host-001', 'host-002']);
      const first = placeReplicas(hosts, req);
      expect(placeReplicas(hosts, req)).toEqual(first);
      expect(placeReplicas(shuffled(random, hosts), req)).toEqual(first);
    });

    it('does not mutate the hosts or the request', () => {
      const hosts = [host('a', 2_000, { labels: { zone: 'x' } }), host('b', 3_000)];
      const req = request(4, 512, ['a']);
      const before = structuredClone({ hosts, req });
      // Frozen input makes any write throw in strict-mode module code.
      for (const h of hosts) Object.freeze(h);
      Object.freeze(hosts);
      Object.freeze(req.existing);
      Object.freeze(req);
      placeReplicas(hosts, req);
      expect(catchError(() => placeReplicas(hosts, request(99, 512)))).toBeInstanceOf(NoCapacityError);
      expect({ hosts, req }).toEqual(before);
    });
  });

  describe('many hosts (seeded property checks)', () => {
    const statuses: HostStatus[] = ['ready', 'ready', 'ready', 'ready', 'cordoned', 'draining', 'down'];

    it.each([1, 2, 3, 4, 5])('seed %i: with ample room, spreads evenly and overfills nothing', (seed) => {
      const random = seededRandom(seed);
      // Every host ready with at least 4 GB free, so 600 × 256 MB fits with room to spare.
      const hosts = randomHosts(random, 200, ['ready']).map((h) => ({
        ...h,
        allocatedMb: Math.min(h.allocatedMb, h.memoryMb - 4_096),
      }));
      const placements = placeReplicas(hosts, request(600, 256));
      expect(placements).toHaveLength(600);
      const counts = countByHost(placements);
      const perHost = hosts.map((h) => counts.get(h.id) ?? 0);
      expect(Math.max(...perHost) - Math.min(...perHost)).toBeLessThanOrEqual(1);
      for (const h of hosts) {
        expect(h.allocatedMb + (counts.get(h.id) ?? 0) * 256).toBeLessThanOrEqual(h.memoryMb);
      }
    });

    const tightSeeds = [11, 12, 13, 14, 15, 16, 17, 18];

    /** A mixed pool and a request sized around its real room, so some seeds fit and some do not. */
    function tightCase(seed: number) {
      const random = seededRandom(seed);
      const hosts = randomHosts(random, 200, statuses);
      const memoryMb = pick(random, [128, 256, 512, 1_024, 2_048]);
      const existing = Array.from({ length: 30 }, () => pick(random, hosts).id);
      const slots = hosts
        .filter((h) => h.status === 'ready')
        .reduce((sum, h) => sum + Math.floor(Math.max(0, h.memoryMb - h.allocatedMb) / memoryMb), 0);
      const req = request(Math.max(1, Math.round(slots * (0.5 + random()))), memoryMb, existing);
      return { hosts, req, slots };
    }

    it.each(tightSeeds)('seed %i: tight, mixed pool matches the reference rules exactly', (seed) => {
      const { hosts, req, slots } = tightCase(seed);
      const expected = referencePlacement(hosts, req);
      if (expected === 'no capacity') {
        const error = catchError(() => placeReplicas(hosts, req));
        expect(error).toBeInstanceOf(NoCapacityError);
        expect(error).toMatchObject({ placeableReplicas: slots, replicas: req.count });
        return;
      }
      const placements = placeReplicas(hosts, req);
      expect(hostIds(placements)).toEqual(expected);
      const counts = countByHost(placements);
      for (const h of hosts) {
        const added = counts.get(h.id) ?? 0;
        if (h.status !== 'ready') expect(added).toBe(0);
        if (added > 0) expect(h.allocatedMb + added * req.memoryMb).toBeLessThanOrEqual(h.memoryMb);
      }
    });

    it('the tight seeds cover both outcomes', () => {
      // Guards the property test itself: if every seed fell on one side, half the rules go untested.
      const outcomes = new Set(
        tightSeeds.map((seed) => {
          const { hosts, req } = tightCase(seed);
          return referencePlacement(hosts, req) === 'no capacity' ? 'no capacity' : 'placed';
        }),
      );
      expect(outcomes).toEqual(new Set(['no capacity', 'placed']));
    });
  });
});

describe('chooseBuildHost', () => {
  it('takes the ready host with the most free memory', () => {
    const hosts = [host('a', 3_000), host('b', 5_000), host('c', 9_000, { status: 'cordoned' })];
    expect(chooseBuildHost(hosts, 2_048)).toBe('b');
  });

  it('breaks a tie by the lowest host id', () => {
    expect(chooseBuildHost([host('z', 4_000), host('m', 4_000)], 1_024)).toBe('m');
  });

  it('throws NoCapacityError naming the build when nothing fits', () => {
    const hosts = [host('a', 1_000), host('b', 9_000, { status: 'down' })];
    const error = catchError(() => chooseBuildHost(hosts, 2_048));
    expect(error).toBeInstanceOf(NoCapacityError);
    expect(error).toMatchObject({
      requestedMb: 2_048,
      replicas: 1,
      largestFreeMb: 1_000,
      readyHosts: 1,
      message: 'no capacity: 1 build of 2048 MB needed, largest free block on 1 ready host is 1000 MB',
    });
  });
});
