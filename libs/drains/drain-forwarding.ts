import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { LOG_HUB, type LogHub, type LogSubscription } from '../logs/index.js';
import type { EgressRules } from '../webhooks/index.js';
import { DrainForwarder, type ForwardingSettings } from './drain-forwarder.js';
import { senderFor } from './drain-senders.js';
import { drainTarget } from './drain-url.js';
import { DrainsRepository, type ForwardedDrain } from './drains.repository.js';

/** How often the drains table is read (new, removed drains) and the counters flushed to it. */
export const DRAINS_PASS_MS = 1000;
const DRAIN_SEND_TIMEOUT_MS = 10_000;
/**
 * A process whose last pass is this old lost the loop's lock (the ControlLoop stops calling it) or its
 * database: it stops forwarding, so the new leader's forwarders are not doubled for longer than this.
 */
const FORWARDING_LEASE_MS = 15_000;

interface Forwarding {
  drain: ForwardedDrain;
  forwarder: DrainForwarder;
  subscription: LogSubscription;
  flushed: { linesSent: number; linesDropped: number; lastError: string | null; lastSentAt: Date | null };
}

/**
 * Forwards apps' logs to their drains, in the process that runs the workers (LOCK_KEYS.drains: one process
 * at a time). Each drain is one subscriber of the process's LogHub, so a replica has one Docker follow
 * however many drains and live streams read it. Each pass adds forwarders for new drains, stops those of
 * removed drains (or stopped apps), and flushes the counters that changed.
 */
@Injectable()
export class DrainForwarding implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DrainForwarding');
  private readonly loop: ControlLoop;
  private readonly active = new Map<string, Forwarding>();
  private readonly settings: ForwardingSettings;
  private readonly rules: EgressRules;
  private readonly extraCa: string | undefined;
  private lastPass: Promise<void> = Promise.resolve();
  private lastPassAt = 0;
  private leaseCheck: NodeJS.Timeout | undefined;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOG_HUB) private readonly hub: LogHub,
    @InjectDataSource() dataSource: DataSource,
    private readonly repository: DrainsRepository,
  ) {
    this.settings = {
      queueLines: 10_000,
      batchLines: 500,
      batchDelayMs: 200,
      attempts: 5,
      retryBaseMs: config.logDrainRetryBaseMs,
      retryMaxMs: 30_000,
    };
    this.rules = {
      allowLoopback: config.webhooksAllowLoopback,
      deniedCidrs: [...config.tenantSubnets.split(','), ...config.egressDeny].map((cidr) => cidr.trim()),
    };
    this.extraCa = config.logDrainCaFile ? readFileSync(config.logDrainCaFile, 'utf8') : undefined;
    this.loop = new ControlLoop({
      name: 'DrainForwarding',
      lockKey: LOCK_KEYS.drains,
      intervalMs: DRAINS_PASS_MS,
      dataSource,
      work: () => this.runPass(),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.loop.start();
    this.leaseCheck = setInterval(() => {
      if (this.active.size > 0 && Date.now() - this.lastPassAt > FORWARDING_LEASE_MS) {
        this.logger.warn('no forwarding pass for a while (lock lost?): stopping the drains of this process');
        void this.stopAll();
      }
    }, DRAINS_PASS_MS);
    this.leaseCheck.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.leaseCheck) clearInterval(this.leaseCheck);
    await this.loop.stop();
    await this.lastPass;
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    await Promise.allSettled([...this.active.keys()].map((id) => this.stopForwarding(id)));
  }

  /** One pass; passes never overlap (a test may call this beside the loop). */
  runPass(): Promise<void> {
    const pass = this.lastPass.then(() => this.reconcile());
    this.lastPass = pass.catch(() => undefined);
    return pass;
  }

  private async reconcile(): Promise<void> {
    const drains = await this.repository.forwarded();
    const wanted = new Map(drains.map((drain) => [drain.id, drain]));
    for (const id of [...this.active.keys()]) {
      const current = this.active.get(id);
      const drain = wanted.get(id);
      if (!drain || drain.url !== current?.drain.url) await this.stopForwarding(id);
    }
    for (const drain of drains) if (!this.active.has(drain.id)) this.startForwarding(drain);
    for (const forwarding of this.active.values()) await this.flush(forwarding);
    this.lastPassAt = Date.now();
  }

  private startForwarding(drain: ForwardedDrain): void {
    const checked = drainTarget(drain.url, { allowLoopback: this.rules.allowLoopback });
    if (!checked.target) return; // refused at the API; a row written otherwise is not followed
    const sender = senderFor(checked.target, {
      app: drain.appName,
      hostname: hostname(),
      rules: this.rules,
      extraCa: this.extraCa,
      timeoutMs: DRAIN_SEND_TIMEOUT_MS,
    });
    const forwarder = new DrainForwarder(sender, this.settings);
    const subscription = this.hub.subscribe({
      app: drain.appId,
      maxBufferedLines: this.settings.queueLines,
      send: (delivery) => forwarder.offer(delivery),
    });
    this.active.set(drain.id, {
      drain,
      forwarder,
      subscription,
      flushed: { linesSent: 0, linesDropped: 0, lastError: null, lastSentAt: null },
    });
  }

  private async stopForwarding(id: string): Promise<void> {
    const forwarding = this.active.get(id);
    if (!forwarding) return;
    this.active.delete(id);
    forwarding.subscription.unsubscribe();
    await forwarding.forwarder.stop();
    await this.flush(forwarding).catch((error: unknown) => {
      this.logger.warn(`drain ${id}: counters not flushed: ${(error as Error).message}`);
    });
  }

  private async flush(forwarding: Forwarding): Promise<void> {
    const now = forwarding.forwarder.counters();
    const before = forwarding.flushed;
    if (
      now.linesSent === before.linesSent &&
      now.linesDropped === before.linesDropped &&
      now.lastError === before.lastError &&
      now.lastSentAt === before.lastSentAt
    ) {
      return;
    }
    await this.repository.addCounters(
      forwarding.drain.id,
      { linesSent: now.linesSent - before.linesSent, linesDropped: now.linesDropped - before.linesDropped },
      now,
    );
    forwarding.flushed = now;
  }
}
