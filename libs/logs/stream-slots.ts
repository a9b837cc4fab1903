import { ProblemError } from '../errors/index.js';

/**
 * Counts the open log streams of each tenant (in this process) and refuses one over the limit with a 429
 * problem `stream_limit_reached` (WebSocket close 4429).
 */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perTenant: number) {}

  /** Takes a slot; the returned function gives it back (calling it again does nothing). */
  acquire(tenantId: string): () => void {
    const current = this.open.get(tenantId) ?? 0;
    if (current >= this.perTenant) {
      throw new ProblemError(
        429,
        'stream_limit_reached',
        'Too many requests',
        `At most ${this.perTenant} log streams may be open at once per tenant; close one first`,
        { limit: this.perTenant },
      );
    }
    this.open.set(tenantId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.open.delete(tenantId);
      else this.open.set(tenantId, left);
    };
  }

  count(tenantId: string): number {
    return this.open.get(tenantId) ?? 0;
  }
}
