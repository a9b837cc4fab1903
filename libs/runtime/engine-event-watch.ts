import { Logger } from '@nestjs/common';
import { LABELS } from '../engine/index.js';
import type { Host, EnginePool } from '../hosts/index.js';

/**
 * One Docker events subscription per host for Berth's containers: a container that dies or is OOM-killed
 * wakes the reconciler at once instead of at its next interval. Subscriptions that end (host restarted,
 * network blip) are renewed on the next `ensure`.
 */
export class EngineEventWatch {
  private readonly logger = new Logger('EngineEventWatch');
  private readonly watches = new Map<string, AbortController>();

  constructor(
    private readonly pool: EnginePool,
    private readonly onEvent: (appId: string | undefined) => void,
  ) {}

  async ensure(hosts: Host[]): Promise<void> {
    const wanted = new Set(hosts.filter((h) => h.status !== 'down').map((h) => h.id));
    for (const [hostId, controller] of this.watches) {
      if (!wanted.has(hostId)) {
        controller.abort();
        this.watches.delete(hostId);
      }
    }
    for (const host of hosts) {
      if (!wanted.has(host.id) || this.watches.has(host.id)) continue;
      const controller = new AbortController();
      this.watches.set(host.id, controller);
      const engine = await this.pool.engineFor(host);
      void (async () => {
        try {
          for await (const event of engine.events({
            labels: { [LABELS.managedBy]: 'berth' },
            signal: controller.signal,
          })) {
            if (event.type === 'die' || event.type === 'oom' || event.type === 'destroy')
              this.onEvent(event.labels[LABELS.app]);
          }
        } catch (err) {
          this.logger.debug(`events of host ${host.name} ended: ${err instanceof Error ? err.message : err}`);
        } finally {
          if (this.watches.get(host.id) === controller) this.watches.delete(host.id);
        }
      })();
    }
  }

  stop(): void {
    for (const controller of this.watches.values()) controller.abort();
    this.watches.clear();
  }
}
