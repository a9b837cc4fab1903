import { Inject, Injectable, Logger } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import {
  LABELS,
  hasHostGuardCapability,
  hostGuardCapabilityOf,
  type ContainerEngine,
  type ContainerSummary,
} from '../engine/index.js';
import { EnginePool } from './engine-pool.js';
import {
  HOST_GUARD_CONFIG_LABEL,
  HOST_GUARD_LABEL,
  HOST_GUARD_ROLE,
  guardStatus,
  hostGuardId,
  hostGuardPlan,
  type NetworkPolicyReport,
} from './host-guard-spec.js';
import type { Host } from './host.entity.js';
import { ImageDistribution } from './image-distribution.js';

/** Log lines of the guard read for its state: it prints one per event and nothing while all is well. */
const STATUS_TAIL_LINES = 20;
/** The guard removes its rules on SIGTERM; this bounds the wait. */
const STOP_GRACE_SECONDS = 10;

/**
 * Keeps one host guard (libs/hosts/host-guard.sh, image config.hostGuardImage) on each host and says
 * whether its rules are applied. HostMonitor calls `ensure` on every answering host in every round, so a
 * guard is placed when Berth starts, when a host is registered and when a host comes back, and put back
 * if someone removed or stopped it. Between rounds the guard keeps its own rules (it re-checks them every
 * few seconds; Docker restarts it after a dockerd restart: restart policy unless-stopped).
 */
@Injectable()
export class HostGuard {
  private readonly logger = new Logger('HostGuard');

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
  ) {}

  /** Places (or replaces, when its configuration changed) the host's guard, and reads its state. */
  async ensure(host: Host): Promise<NetworkPolicyReport> {
    if (this.config.networkPolicy === 'off') return { state: 'off', reason: null };
    const engine = await this.pool.engineFor(host);
    if (!hasHostGuardCapability(engine)) {
      return {
        state: 'unsupported',
        reason: `the ${engine.constructor.name} engine cannot run a host guard`,
      };
    }
    const plan = hostGuardPlan({
      hostId: host.id,
      pool: this.config.tenantSubnets,
      deny: this.config.egressDeny,
      image: this.config.hostGuardImage,
    });
    let current: ContainerSummary | undefined;
    for (const container of await this.guardsOf(engine, plan.id)) {
      if (!current && container.labels[HOST_GUARD_CONFIG_LABEL] === plan.configHash) current = container;
      else await this.stopAndRemove(engine, container.id);
    }
    if (!current) {
      await this.images.ensureOn(host, plan.spec.image);
      const { id } = await hostGuardCapabilityOf(engine).createHostGuardContainer(plan.spec);
      await engine.startContainer({ id });
      this.logger.log(`host guard ${plan.spec.name} started on host ${host.name}`);
      return { state: 'pending', reason: 'the guard was just started' };
    }
    if (current.state === 'exited' || current.state === 'created') {
      // Stopped by hand (unless-stopped then leaves it stopped): the policy is Berth's to keep.
      await engine.startContainer({ id: current.id });
      this.logger.warn(`host guard ${plan.spec.name} on host ${host.name} was ${current.state}; started it`);
      return { state: 'pending', reason: `the guard was ${current.state}; started again` };
    }
    return guardStatus(current.state, await this.lastLines(engine, current.id));
  }

  /** Removes every guard of the host (each takes its rules with it on SIGTERM). */
  async remove(host: Host): Promise<void> {
    const engine = await this.pool.engineFor(host);
    for (const container of await this.guardsOf(engine, hostGuardId(host.id)))
      await this.stopAndRemove(engine, container.id);
  }

  private guardsOf(engine: ContainerEngine, id: string): Promise<ContainerSummary[]> {
    return engine.listContainers({
      labels: { [LABELS.managedBy]: 'berth', [LABELS.role]: HOST_GUARD_ROLE, [HOST_GUARD_LABEL]: id },
      all: true,
    });
  }

  /** SIGTERM first: a forced removal would SIGKILL the guard and leave its chains behind. */
  private async stopAndRemove(engine: ContainerEngine, id: string): Promise<void> {
    await engine.stopContainer({ id, graceSeconds: STOP_GRACE_SECONDS });
    await engine.removeContainer({ id, force: true });
  }

  private async lastLines(engine: ContainerEngine, id: string): Promise<string[]> {
    const lines: string[] = [];
    for await (const line of engine.containerLogs({ id, follow: false, tail: STATUS_TAIL_LINES })) {
      lines.push(line.text);
    }
    return lines;
  }
}
