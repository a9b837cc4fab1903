import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DIRECT_REFUSAL_TRUST_MS, type ReadinessTarget, tryConnect } from './readiness.js';

/** Between two connects to a starting container's own address (a refused connect costs ~0.1 ms). */
export const READINESS_WATCH_EVERY_MS = 10;
/** Starting containers watched at once by this process; the others wait for their app's next look. */
export const READINESS_WATCH_MAX = 16;

/**
 * Tells the reconciler the moment a starting replica's container accepts connections on its own address,
 * instead of at its app's next look (nextLook: a quarter of the replica's age, so a node app that listens
 * 210 ms after its start was seen at 232 or 290 ms). Only where the container's own address is reachable
 * (a local engine, no proxy: an accepted connect means the app listens); the pass it wakes decides
 * readiness as before (a health check, when the app has one, still has to pass). Each watch ends at the
 * first accepted connect, an unreachable address, or DIRECT_REFUSAL_TRUST_MS after the container's start.
 */
@Injectable()
export class ReadinessWatch implements OnApplicationShutdown {
  private readonly watched = new Map<string, AbortController>();
  private readonly listeners = new Set<(appId: string) => void>();

  /** Calls `listener` with the app of each watched container that accepted; returns the unsubscribe. */
  onAccepting(listener: (appId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts watching `key`'s container (once per key, up to READINESS_WATCH_MAX at once). */
  watch(key: string, appId: string, target: ReadinessTarget): void {
    const direct = target.direct;
    if (!direct || this.watched.has(key) || this.watched.size >= READINESS_WATCH_MAX) return;
    const controller = new AbortController();
    this.watched.set(key, controller);
    const until = (target.startedAt?.getTime() ?? Date.now()) + DIRECT_REFUSAL_TRUST_MS;
    void this.run(appId, direct, until, controller.signal).finally(() => this.watched.delete(key));
  }

  /** Containers watched now. */
  get watching(): number {
    return this.watched.size;
  }

  onApplicationShutdown(): void {
    for (const controller of this.watched.values()) controller.abort();
  }

  private async run(
    appId: string,
    direct: { address: string; port: number },
    until: number,
    signal: AbortSignal,
  ): Promise<void> {
    while (!signal.aborted && Date.now() < until) {
      const outcome = await tryConnect(direct.address, direct.port);
      if (signal.aborted || outcome === 'unreachable') return;
      if (outcome === 'accepted') {
        for (const listener of this.listeners) listener(appId);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, READINESS_WATCH_EVERY_MS);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
