import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { EnginePool } from './engine-pool.js';
import { HostGuard } from './host-guard.js';
import type { NetworkPolicyReport } from './host-guard-spec.js';
import { nextHostHealth, type HostProbeResult } from './host-health.js';
import { DEFAULT_PROBE_TIMEOUT_MS, probeEngine, type EngineProbe } from './host-probe.js';
import { Host, type HostStatus } from './host.entity.js';

export interface HostMonitorOptions {
  /** Pause between the end of one round of probes and the start of the next. */
  intervalMs: number;
  /** Failed probes in a row before a host is `down`. */
  failureThreshold: number;
  /** Bound of one probe (ping + info). */
  probeTimeoutMs: number;
}

export const DEFAULT_HOST_MONITOR_OPTIONS: HostMonitorOptions = {
  intervalMs: 5000,
  failureThreshold: 3,
  probeTimeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
};

/** Bound of one HostGuard.ensure inside a round. */
const GUARD_TIMEOUT_MS = 30_000;

/** Optional provider overriding some of DEFAULT_HOST_MONITOR_OPTIONS. */
export const HOST_MONITOR_OPTIONS = Symbol('HOST_MONITOR_OPTIONS');

export interface HostProbeReport {
  hostId: string;
  name: string;
  ok: boolean;
  status: HostStatus;
  consecutiveFailures: number;
  event: 'down' | 'up' | undefined;
}

/**
 * Pings every host in rounds. A host that misses `failureThreshold` probes in a row is `down` (with the
 * last error); its first answer after that puts it back to its admin status. Heartbeat time, engine
 * version, CPUs and memory are refreshed on every answer, and so is the host guard (HostGuard.ensure:
 * placed or put back, its state kept in networkPolicy). Runs inside the api only when
 * config.runWorkers is set; tests call probeAll() themselves.
 */
@Injectable()
export class HostMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly options: HostMonitorOptions;
  private readonly logger = new Logger('HostMonitor');
  private loop: ControlLoop | undefined;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectRepository(Host) private readonly hosts: Repository<Host>,
    private readonly pool: EnginePool,
    private readonly audit: AuditService,
    private readonly guard: HostGuard,
    @Optional() @Inject(HOST_MONITOR_OPTIONS) options?: Partial<HostMonitorOptions>,
  ) {
    this.options = { ...DEFAULT_HOST_MONITOR_OPTIONS, ...options };
  }

  onApplicationBootstrap(): void {
    // Tools that build the app without a database (OpenAPI generation) have nothing to monitor.
    if (this.config.runWorkers && this.hosts.manager.dataSource.isInitialized) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * Starts the loop (a first round at once). It runs in one process at a time (advisory lock), so several
   * api/worker processes do not count one missed probe several times.
   */
  start(): void {
    this.loop ??= new ControlLoop({
      name: 'HostMonitor',
      lockKey: LOCK_KEYS.hostMonitor,
      intervalMs: this.options.intervalMs,
      dataSource: this.hosts.manager.dataSource,
      work: async () => {
        await this.probeAll();
      },
    });
    this.loop.start();
  }

  /** Stops the loop and waits for a round in progress to finish. */
  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** One round: probes every host at once and records the outcome. */
  async probeAll(): Promise<HostProbeReport[]> {
    const hosts = await this.pool.hosts();
    return Promise.all(hosts.map((host) => this.probeHost(host)));
  }

  private async probeHost(host: Host): Promise<HostProbeReport> {
    let probe: EngineProbe;
    try {
      probe = await probeEngine(await this.pool.engineFor(host), this.options.probeTimeoutMs);
    } catch (error) {
      // engineFor fails only on the host's own record (e.g. TLS sealed under another master key).
      probe = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const result: HostProbeResult = probe.ok ? { ok: true } : { ok: false, error: probe.error };
    const next = nextHostHealth(host, result, this.options.failureThreshold);
    const policy = probe.ok ? await this.ensureGuard(host) : undefined;
    await this.hosts
      .createQueryBuilder()
      .update(Host)
      .set({
        consecutiveFailures: next.consecutiveFailures,
        lastError: next.lastError,
        // From admin_status as it is when this row is written, so an operator's cordon that lands
        // between this probe's read and its write is kept.
        status: () => (next.status === 'down' ? `'down'` : 'admin_status'),
        ...(probe.ok
          ? {
              lastHeartbeatAt: new Date(),
              engineVersion: probe.info.engineVersion.slice(0, 40),
              cpus: probe.info.cpus,
              memoryMb: probe.info.memoryMb,
            }
          : {}),
        ...(policy ? { networkPolicy: policy.state, networkPolicyReason: policy.reason } : {}),
      })
      .where('id = :id', { id: host.id })
      .execute();
    if (next.event) await this.recordEvent(host, next.event, next.lastError);
    return {
      hostId: host.id,
      name: host.name,
      ok: probe.ok,
      status: next.status,
      consecutiveFailures: next.consecutiveFailures,
      event: next.event,
    };
  }

  /**
   * The guard of an answering host (placed at start, registration and return alike); never fails the probe,
   * and never holds the loop longer than GUARD_TIMEOUT_MS (a first placement may copy the image; a hung
   * engine must not stop the monitor: the next round tries again).
   */
  private async ensureGuard(host: Host): Promise<NetworkPolicyReport> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`placing the host guard took over ${GUARD_TIMEOUT_MS / 1000} s`)),
        GUARD_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.guard.ensure(host), timeout]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`host guard on ${host.name}: ${message}`);
      return { state: 'failed', reason: message.slice(0, 500) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async recordEvent(host: Host, event: 'down' | 'up', lastError: string | null): Promise<void> {
    if (event === 'down') {
      this.logger.warn(`host ${host.name} (${host.endpoint}) is down: ${lastError}`);
    } else {
      this.logger.log(`host ${host.name} (${host.endpoint}) answers again`);
    }
    await this.audit.record({
      tenantId: null,
      actor: 'system',
      action: `host.${event}`,
      target: `host:${host.id}`,
      data: { name: host.name, ...(event === 'down' ? { error: lastError } : {}) },
    });
  }
}
