import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BuildsRepository } from '../builds/index.js';
import { EnginePool } from '../hosts/index.js';
import { LogStreamsService } from '../logs/index.js';
import { ReconcileLoop, ReplicasRepository } from '../runtime/index.js';
import { MetricsSampler } from './metrics-sampler.js';

/**
 * The platform's own figures in Prometheus text, for operators (GET /v1/admin/metrics). A registry of its
 * own (never prom-client's global one, which any library could fill): the database gauges are read on
 * each scrape, one query each, so several API processes report the same installation-wide numbers; the
 * counters and the process metrics are this process's own.
 */
@Injectable()
export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly refreshHosts: () => Promise<void>;

  constructor(
    builds: BuildsRepository,
    replicas: ReplicasRepository,
    pool: EnginePool,
    logStreams: LogStreamsService,
    reconcileLoop: ReconcileLoop,
    sampler: MetricsSampler,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'berth_build_queue_builds',
      help: 'Builds waiting for a worker (queued) and being built (running), every tenant',
      labelNames: ['status'],
      registers,
      async collect() {
        const active = await builds.countActive();
        this.set({ status: 'queued' }, active.queued);
        this.set({ status: 'running' }, active.running);
      },
    });
    new Gauge({
      name: 'berth_replicas',
      help: 'Replicas (web) and balancers (lb) not gone, by state',
      labelNames: ['role', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const row of await replicas.countByRoleAndState()) {
          this.set({ role: row.role, state: row.state }, row.count);
        }
      },
    });
    // Three gauges from one read: set before the registry serializes (it reads every metric at once,
    // so a collect on one of them would leave the other two a scrape behind).
    const hostMemory = new Gauge({
      name: 'berth_host_memory_mb',
      help: 'Memory of each host, MB (with berth_host_cpus and berth_host_allocated_memory_mb: its capacity)',
      labelNames: ['host', 'status'],
      registers,
    });
    const hostCpus = new Gauge({
      name: 'berth_host_cpus',
      help: 'CPUs of each host',
      labelNames: ['host'],
      registers,
    });
    const hostAllocated = new Gauge({
      name: 'berth_host_allocated_memory_mb',
      help: 'Memory of the replicas placed on each host, MB',
      labelNames: ['host'],
      registers,
    });
    this.refreshHosts = async () => {
      const [hosts, allocated] = await Promise.all([pool.hosts(), replicas.allocatedMbByHost()]);
      for (const gauge of [hostMemory, hostCpus, hostAllocated]) gauge.reset();
      for (const host of hosts) {
        hostMemory.set({ host: host.name, status: host.status }, host.memoryMb);
        hostCpus.set({ host: host.name }, host.cpus);
        hostAllocated.set({ host: host.name }, allocated.get(host.id) ?? 0);
      }
    };
    new Gauge({
      name: 'berth_log_streams_open',
      help: 'Log streams open (WebSocket and followed NDJSON), every API process',
      registers,
      async collect() {
        this.set(await logStreams.openStreamsEverywhere());
      },
    });
    new Counter({
      name: 'berth_reconcile_passes_total',
      help: 'Reconcile passes run by this process (only the process holding the reconciler lock runs any)',
      registers,
      collect() {
        this.reset();
        this.inc(reconcileLoop.passesRun());
      },
    });
    new Counter({
      name: 'berth_metrics_read_failures_total',
      help: 'Container counter reads that failed in this process (host down, engine errors)',
      registers,
      collect() {
        this.reset();
        this.inc(sampler.failedReadsTotal());
      },
    });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async scrape(): Promise<string> {
    await this.refreshHosts();
    return this.registry.metrics();
  }
}
