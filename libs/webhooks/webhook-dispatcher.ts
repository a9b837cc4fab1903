import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, BERTH_KEYS, type BerthConfig, type BerthKeys } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { nextAttemptAt, type RetryPolicy } from './delivery-schedule.js';
import type { EgressRules } from './egress-address.js';
import { signatureHeader } from './webhook-signature.js';
import { sendDelivery } from './webhook-sender.js';
import { type DueDelivery, WebhooksRepository } from './webhooks.repository.js';

/** Deliveries in flight at once in this process (one per endpoint at most, see claimDue). */
export const WEBHOOK_SENDS_IN_FLIGHT = 16;
/** Events fanned out per pass; more wait for the next (soon) pass. */
const EVENTS_PER_PASS = 500;

/**
 * Webhook delivery, a ControlLoop (LOCK_KEYS.webhooks: one process at a time): each pass makes the
 * deliveries of new events, then claims due ones and starts their sends without waiting for them, so a
 * slow endpoint holds only its own slot (one per endpoint, WEBHOOK_SENDS_IN_FLIGHT overall) and never the
 * loop or another endpoint. A finished send records its attempt and wakes the loop for the next.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly loop: ControlLoop;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly policy: RetryPolicy;
  private readonly rules: EgressRules;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    @InjectDataSource() dataSource: DataSource,
    private readonly repository: WebhooksRepository,
  ) {
    this.policy = {
      baseMs: config.webhooksRetryBaseMs,
      maxMs: config.webhooksRetryMaxMs,
      giveUpMs: config.webhooksGiveUpMs,
    };
    this.rules = {
      allowLoopback: config.webhooksAllowLoopback,
      deniedCidrs: [...config.tenantSubnets.split(','), ...config.egressDeny].map((cidr) => cidr.trim()),
    };
    this.loop = new ControlLoop({
      name: 'WebhookDispatcher',
      lockKey: LOCK_KEYS.webhooks,
      intervalMs: config.webhooksIntervalMs,
      dataSource,
      work: async () => {
        const more = await this.runPass();
        return more ? { nextPassInMs: 0 } : undefined;
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** One pass; true when events were left for the next one. */
  async runPass(): Promise<boolean> {
    const read = await this.repository.fanOut(EVENTS_PER_PASS);
    const due = await this.repository.claimDue({
      limit: WEBHOOK_SENDS_IN_FLIGHT - this.inFlight.size,
      busyWebhooks: [...this.inFlight.keys()],
      // Past the request timeout, so a claimed delivery is only sent again if this process died.
      leaseMs: this.config.webhooksTimeoutMs * 2 + 10_000,
    });
    for (const delivery of due) {
      const send = this.send(delivery)
        .catch((err: Error) => this.logger.warn(`delivery ${delivery.id}: ${err.message}`))
        .finally(() => {
          this.inFlight.delete(delivery.webhookId);
          this.loop.wake();
        });
      this.inFlight.set(delivery.webhookId, send);
    }
    return read === EVENTS_PER_PASS;
  }

  private async send(delivery: DueDelivery): Promise<void> {
    const { event } = delivery;
    const body = JSON.stringify({
      id: event.seq,
      type: event.type,
      appId: event.appId,
      subject: event.subject,
      data: event.data,
      createdAt: event.createdAt.toISOString(),
    });
    const attemptedAt = new Date();
    const secrets = [this.keys.secretBox.open(delivery.secretSealed, delivery.webhookId)];
    if (
      delivery.previousSecretSealed &&
      delivery.previousSecretUntil &&
      delivery.previousSecretUntil > attemptedAt
    ) {
      secrets.push(this.keys.secretBox.open(delivery.previousSecretSealed, delivery.webhookId));
    }
    const outcome = await sendDelivery({
      url: delivery.url,
      body,
      timeoutMs: this.config.webhooksTimeoutMs,
      rules: this.rules,
      headers: {
        'berth-event-id': event.seq,
        'berth-delivery-id': delivery.id,
        'berth-signature': signatureHeader({
          secrets,
          body,
          unixSeconds: Math.floor(attemptedAt.getTime() / 1000),
        }),
      },
    });
    const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const next = ok
      ? null
      : nextAttemptAt({
          policy: this.policy,
          attempts: delivery.attempts + 1,
          eventCreatedAt: delivery.eventCreatedAt,
          now: new Date(),
        });
    await this.repository.recordAttempt({
      deliveryId: delivery.id,
      attemptedAt,
      statusCode: outcome.statusCode,
      error: outcome.error,
      durationMs: outcome.durationMs,
      outcome: ok
        ? { status: 'delivered' }
        : next
          ? { status: 'pending', nextAt: next }
          : { status: 'failed' },
    });
  }
}
