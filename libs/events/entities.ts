import { TenantEvent } from './event.entity.js';

export const EVENTS_ENTITIES = [TenantEvent];
