import {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDispatchCursor,
  WebhookDispatchGap,
} from './webhook-delivery.entity.js';
import { Webhook } from './webhook.entity.js';

export const WEBHOOKS_ENTITIES = [
  Webhook,
  WebhookDelivery,
  WebhookAttempt,
  WebhookDispatchCursor,
  WebhookDispatchGap,
];
