// The public API of libs/logs: engine-agnostic log plumbing (no Nest, no database, no sockets).
export {
  type AppLogEntry,
  type AppLogEntryWithoutSeq,
  type AppLogStream,
  type LogCursor,
  type LogPosition,
  type SourceLogLine,
  InvalidCursorError,
  InvalidTimestampError,
  OrdinalCounter,
  compareLogPositions,
  compareTimestamps,
  cursorOf,
  limitTextBytes,
  nanosToTimestamp,
  normalizeTimestamp,
  parseCursor,
  samePosition,
  timestampToNanos,
  toAppEntries,
} from './log-entry.js';
export { type LogRingOptions, type RingRead, LogRing, entryBytes } from './log-ring.js';
export { type LogFilter, TailBuffer, mergeByTimestamp } from './log-merge.js';
export { type DroppedMarker, type LogDelivery, type SendLogs, resumePoint } from './log-subscriber.js';
export { LogHub } from './log-fanout.js';
export type {
  AttachOptions,
  LogHubOptions,
  LogSubscription,
  OpenLogs,
  SubscribeOptions,
} from './log-hub-types.js';
export { AppLogsService, type LogPage, type LogSession } from './app-logs.service.js';
export { MAX_LOG_LINES } from './log-filter.js';
export { MAX_PAGE_BYTES } from './log-page.js';
export { LogSessionTokens } from './log-session-tokens.js';
export {
  LOG_HUB,
  LogStreamsService,
  type StreamCredentials,
  type StreamGrant,
} from './log-streams.service.js';
export { LogsModule } from './logs.module.js';
export { StreamSlots } from './stream-slots.js';
export {
  LogArchiveStore,
  archiveLineParameters,
  PARTITION_DAYS_AHEAD,
  partitionName,
  addDays,
  utcDay,
} from './archive/log-archive-store.js';
export { LogArchiver } from './archive/log-archiver.js';
