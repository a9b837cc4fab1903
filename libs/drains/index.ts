// The public entry of libs/drains: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { DrainForwarder, type DrainCounters, type ForwardingSettings } from './drain-forwarder.js';
export { DrainForwarding, DRAINS_PASS_MS } from './drain-forwarding.js';
export { DrainQueue } from './drain-queue.js';
export { DRAIN_URL_MAX_LENGTH, drainTarget, type DrainTarget } from './drain-url.js';
export { LogDrain } from './drain.entity.js';
export { DRAINS_ENTITIES } from './entities.js';
export { DrainsModule } from './drains.module.js';
export { DRAINS_PER_APP, DrainsService } from './drains.service.js';
export {
  SYSLOG_MAX_MESSAGE_BYTES,
  escapeParamValue,
  formatSyslogMessage,
  octetCounted,
  syslogTimestamp,
} from './syslog-format.js';
