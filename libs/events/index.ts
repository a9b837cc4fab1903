// The public entry of libs/events: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { EVENTS_ENTITIES } from './entities.js';
export { EVENT_TYPES, type EventType } from './event-types.js';
export type { TenantEvent } from './event.entity.js';
export { EventsModule } from './events.module.js';
export { LiveEvents, type LiveEventMessage } from './live-events.js';
export {
  EVENTS_PAGE_DEFAULT,
  EVENTS_PAGE_MAX,
  EventsService,
  type EventsFilter,
  type EventsPage,
} from './events.service.js';
