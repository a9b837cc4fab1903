import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, BERTH_KEYS, type BerthConfig, type BerthKeys } from '../config/index.js';
import { randomToken } from '../crypto/index.js';
import { problems } from '../errors/index.js';
import { actorOf, tenantIdOf, type Principal } from '../identity/index.js';
import type { WebhookAttempt, WebhookDelivery } from './webhook-delivery.entity.js';
import { webhookUrlProblem } from './webhook-url.js';
import { Webhook } from './webhook.entity.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** Endpoints per tenant: each one costs a delivery per matching event. */
export const WEBHOOKS_PER_TENANT = 10;
export const DELIVERIES_PAGE_DEFAULT = 20;
export const DELIVERIES_PAGE_MAX = 100;

export interface DeliveriesPage {
  deliveries: Array<{ delivery: WebhookDelivery; attempts: WebhookAttempt[] }>;
  nextCursor: string | null;
}

@Injectable()
export class WebhooksService {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    private readonly repository: WebhooksRepository,
    private readonly audit: AuditService,
  ) {}

  /** Registers an endpoint; the secret is in the answer only (sealed at rest, never shown again). */
  async create(
    principal: Principal,
    input: { url: string; events: string[] },
  ): Promise<{ webhook: Webhook; secret: string }> {
    const tenantId = tenantIdOf(principal);
    const problem = webhookUrlProblem(input.url, { allowLoopback: this.config.webhooksAllowLoopback });
    if (problem) throw problems.unprocessable('invalid_webhook_url', problem);
    const current = await this.repository.countOfTenant(tenantId);
    if (current >= WEBHOOKS_PER_TENANT) {
      throw problems.quotaExceeded('webhooks', { limit: WEBHOOKS_PER_TENANT, current, requested: 1 });
    }
    const secret = randomToken('whsec');
    const webhook = Object.assign(new Webhook(), {
      id: randomUUID(),
      tenantId,
      url: input.url,
      eventTypes: [...new Set(input.events)],
      previousSecretSealed: null,
      previousSecretUntil: null,
    });
    webhook.secretSealed = this.keys.secretBox.seal(secret, webhook.id);
    await this.repository.insert(webhook);
    await this.audit.record({
      tenantId,
      actor: actorOf(principal),
      action: 'webhook.create',
      target: `webhook:${webhook.id}`,
      data: { url: auditableUrl(webhook.url), events: webhook.eventTypes },
    });
    return { webhook: (await this.repository.one(tenantId, webhook.id)) ?? webhook, secret };
  }

  async list(principal: Principal): Promise<Webhook[]> {
    return this.repository.ofTenant(tenantIdOf(principal));
  }

  async get(principal: Principal, id: string): Promise<Webhook> {
    const webhook = await this.repository.one(tenantIdOf(principal), id);
    if (!webhook) throw problems.notFound('Webhook', id);
    return webhook;
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const webhook = await this.get(principal, id);
    await this.repository.remove(webhook.id);
    await this.audit.record({
      tenantId: webhook.tenantId,
      actor: actorOf(principal),
      action: 'webhook.delete',
      target: `webhook:${webhook.id}`,
      data: { url: auditableUrl(webhook.url) },
    });
  }

  /**
   * A new secret, returned once; the current one keeps signing (a second v1) for the overlap, so
   * receivers switch without losing a delivery.
   */
  async rotateSecret(principal: Principal, id: string): Promise<{ webhook: Webhook; secret: string }> {
    const webhook = await this.get(principal, id);
    const secret = randomToken('whsec');
    const previousSecret = this.keys.secretBox.open(webhook.secretSealed, webhook.id);
    await this.repository.rotate(webhook.id, {
      sealed: this.keys.secretBox.seal(secret, webhook.id),
      previousSealed: this.keys.secretBox.seal(previousSecret, webhook.id),
      previousUntil: new Date(Date.now() + this.config.webhooksSecretOverlapMs),
    });
    await this.audit.record({
      tenantId: webhook.tenantId,
      actor: actorOf(principal),
      action: 'webhook.rotate_secret',
      target: `webhook:${webhook.id}`,
    });
    return { webhook: await this.get(principal, id), secret };
  }

  async deliveries(
    principal: Principal,
    id: string,
    page: { before?: string; limit?: number },
  ): Promise<DeliveriesPage> {
    const webhook = await this.get(principal, id);
    const limit = Math.min(Math.max(page.limit ?? DELIVERIES_PAGE_DEFAULT, 1), DELIVERIES_PAGE_MAX);
    const deliveries = await this.repository.deliveriesPage(webhook.id, page.before, limit);
    const last = deliveries[deliveries.length - 1];
    return { deliveries, nextCursor: deliveries.length === limit && last ? last.delivery.id : null };
  }
}

/** The endpoint as the audit log keeps it: no query or fragment, where tenants often put a token. */
function auditableUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search || parsed.hash ? ' (query not kept)' : ''}`;
}
