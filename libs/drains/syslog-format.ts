import { limitTextBytes, type AppLogEntry } from '../logs/index.js';

/** Facility `user` (1); stdout is informational (6), stderr error (3), router and Berth's own lines notice (5). */
const FACILITY_USER = 1;
const SEVERITY = { stdout: 6, stderr: 3, router: 5, system: 5 } as const;
/** Berth's structured-data id. 32473 is the enterprise number RFC 5612 reserves for documentation. */
const SD_ID = 'berth@32473';
/** A message's bytes at most (after the header); longer lines are cut on a UTF-8 boundary with a note. */
export const SYSLOG_MAX_MESSAGE_BYTES = 8 * 1024;

/** RFC 5424 header fields are PRINTUSASCII without spaces, bounded; anything else becomes `_`, empty is `-`. */
function headerField(value: string, maxLength: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, maxLength);
  return printable || '-';
}

/** RFC 5424 §6.3.3: inside a PARAM-VALUE, `"`, `\` and `]` are escaped with a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** RFC 5424 TIMESTAMP allows at most 6 fraction digits; Docker gives 9. */
export function syslogTimestamp(rfc3339: string): string {
  return rfc3339.replace(/(\.\d{6})\d+/, '$1');
}

/**
 * One log line as an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, with
 * the app as APP-NAME, the replica as PROCID, the stream as MSGID, and the container in structured data.
 * Control characters in MSG are kept (octet counting frames it), but its length is bounded.
 */
export function formatSyslogMessage(
  entry: Pick<AppLogEntry, 'timestamp' | 'replica' | 'containerId' | 'stream' | 'text'>,
  context: { app: string; hostname: string; maxMessageBytes?: number },
): string {
  const pri = FACILITY_USER * 8 + SEVERITY[entry.stream];
  const header = [
    `<${pri}>1`,
    syslogTimestamp(entry.timestamp),
    headerField(context.hostname, 255),
    headerField(context.app, 48),
    headerField(entry.replica, 128),
    headerField(entry.stream, 32),
  ].join(' ');
  const sd = `[${SD_ID} container="${escapeParamValue(entry.containerId)}"]`;
  const text = limitTextBytes(entry.text, context.maxMessageBytes ?? SYSLOG_MAX_MESSAGE_BYTES);
  return `${header} ${sd} ${text}`;
}

/** RFC 6587 §3.4.1 octet-counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in bytes (not characters). */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}
