// The public entry of libs/webhooks: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { nextAttemptAt, type RetryPolicy } from './delivery-schedule.js';
export { refusedAddress, type EgressRules } from './egress-address.js';
export { WEBHOOKS_ENTITIES } from './entities.js';
export type { DeliveryStatus, WebhookAttempt, WebhookDelivery } from './webhook-delivery.entity.js';
export { WebhookDispatcher, WEBHOOK_SENDS_IN_FLIGHT } from './webhook-dispatcher.js';
export { signatureHeader, verifySignature } from './webhook-signature.js';
export { WEBHOOK_URL_MAX_LENGTH, webhookUrlProblem } from './webhook-url.js';
export type { Webhook } from './webhook.entity.js';
export { WebhooksModule } from './webhooks.module.js';
export { WebhooksRepository } from './webhooks.repository.js';
export {
  DELIVERIES_PAGE_DEFAULT,
  DELIVERIES_PAGE_MAX,
  WEBHOOKS_PER_TENANT,
  WebhooksService,
  type DeliveriesPage,
} from './webhooks.service.js';
