import { WebhookAttempt, WebhookDelivery, WebhookDispatchCursor } from './webhook-delivery.entity.js';
import { Webhook } from './webhook.entity.js';

export const WEBHOOKS_ENTITIES = [Webhook, WebhookDelivery, WebhookAttempt, WebhookDispatchCursor];
