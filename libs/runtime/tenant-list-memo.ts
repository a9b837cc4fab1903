/** Past this many tenants the least recently read list goes first. */
const DEFAULT_MAX_TENANTS = 1_000;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** A read of one tenant's list in flight, shared by the lookups that arrive while it runs. */
interface Flight<T> {
  promise: Promise<T>;
  /** Set when a change of the tenant was heard while it ran: its answer may predate it, so it is not kept. */
  stale: boolean;
}

/** What the memo did since it was made: the figures the bench and the docs quote. */
export interface TenantListMemoCounts {
  hits: number;
  /** Reads of the database (a lookup that joined a read in flight is neither a hit nor a read). */
  loads: number;
  /** Reads made while the tenant was fenced or the memo off: never kept. */
  bypasses: number;
  /** Changes heard (a tenant's, or every tenant's). */
  changes: number;
  /** Changes that dropped a kept list or a read in flight. */
  drops: number;
}

/**
 * One value per tenant (its app list) for at most `ttlMs`, least recently read dropped first past
 * `maxTenants`. Exact as long as every change is reported: `forget(tenant)` drops the tenant's value and
 * makes a read of it already in flight not keep its answer; a fenced tenant (a write of this process in
 * flight) is read from the database and nothing is kept until the fence is lifted.
 */
export class TenantListMemo<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly flights = new Map<string, Flight<T>>();
  private readonly fences = new Map<string, number>();
  private readonly counts: TenantListMemoCounts = { hits: 0, loads: 0, bypasses: 0, changes: 0, drops: 0 };

  constructor(
    private readonly ttlMs: number,
    private readonly maxTenants = DEFAULT_MAX_TENANTS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  lookup(tenantId: string, load: () => Promise<T>, enabled = true): Promise<T> {
    if (!enabled || this.ttlMs <= 0 || this.fences.has(tenantId)) {
      this.counts.bypasses++;
      return load();
    }
    const hit = this.entries.get(tenantId);
    if (hit) {
      this.entries.delete(tenantId);
      if (hit.expiresAt > this.clock()) {
        this.entries.set(tenantId, hit); // now the most recently read
        this.counts.hits++;
        return Promise.resolve(hit.value);
      }
    }
    const inFlight = this.flights.get(tenantId);
    if (inFlight) return inFlight.promise;
    this.counts.loads++;
    const flight = { stale: false } as Flight<T>;
    flight.promise = this.loadAndKeep(tenantId, flight, load);
    this.flights.set(tenantId, flight);
    return flight.promise;
  }

  /** Drops the tenant's list; a read of it in flight will not keep its answer. */
  forget(tenantId: string): void {
    this.counts.changes++;
    if (this.drop(tenantId)) this.counts.drops++;
  }

  /** Drops every list (a change that concerns every tenant, or notifications possibly missed). */
  forgetAll(): void {
    this.counts.changes++;
    if (this.entries.size > 0 || this.flights.size > 0) this.counts.drops++;
    for (const flight of this.flights.values()) flight.stale = true;
    this.flights.clear();
    this.entries.clear();
  }

  /**
   * While a write for the tenant runs in this process, its list is read from the database and not kept;
   * the returned function lifts the fence (once) and drops the list again, so the writer's next read
   * sees its own change even before the change's notification comes back.
   */
  fence(tenantId: string): () => void {
    this.drop(tenantId);
    this.fences.set(tenantId, (this.fences.get(tenantId) ?? 0) + 1);
    let lifted = false;
    return () => {
      if (lifted) return;
      lifted = true;
      const left = (this.fences.get(tenantId) ?? 1) - 1;
      if (left > 0) this.fences.set(tenantId, left);
      else this.fences.delete(tenantId);
      this.drop(tenantId);
    };
  }

  get size(): number {
    return this.entries.size;
  }

  snapshot(): TenantListMemoCounts {
    return { ...this.counts };
  }

  private drop(tenantId: string): boolean {
    const flight = this.flights.get(tenantId);
    if (flight) {
      flight.stale = true;
      this.flights.delete(tenantId);
    }
    return this.entries.delete(tenantId) || flight !== undefined;
  }

  private async loadAndKeep(tenantId: string, flight: Flight<T>, load: () => Promise<T>): Promise<T> {
    try {
      const value = await load();
      if (!flight.stale) {
        if (this.entries.size >= this.maxTenants) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(tenantId, { value, expiresAt: this.clock() + this.ttlMs });
      }
      return value;
    } finally {
      if (this.flights.get(tenantId) === flight) this.flights.delete(tenantId);
    }
  }
}
