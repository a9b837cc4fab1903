import { describe, expect, it } from '@jest/globals';
import {
  escapeParamValue,
  formatSyslogMessage,
  octetCounted,
  SYSLOG_MAX_MESSAGE_BYTES,
  syslogTimestamp,
} from './syslog-format.js';

const line = {
  timestamp: '2026-12-05T17:00:00.123456789Z',
  replica: 'r-1',
  containerId: 'c0ffee',
  stream: 'stdout' as const,
  text: 'hello world',
};
const context = { app: 'shop', hostname: 'berth-host-1' };

describe('RFC 5424 formatting', () => {
  it('writes PRI, version, timestamp (6 fraction digits), host, app, replica, stream, SD and the line', () => {
    expect(formatSyslogMessage(line, context)).toBe(
      '<14>1 2026-12-05T17:00:00.123456Z berth-host-1 shop r-1 stdout [berth@32473 container="c0ffee"] hello world',
    );
  });

  it('gives stderr the error severity', () => {
    expect(formatSyslogMessage({ ...line, stream: 'stderr' }, context)).toMatch(/^<11>1 /);
  });

  it('escapes ", \\ and ] in structured-data values, so a value cannot close the element', () => {
    expect(escapeParamValue('a"b\\c]d')).toBe('a\\"b\\\\c\\]d');
    const message = formatSyslogMessage({ ...line, containerId: 'x"] [evil@1 a="b' }, context);
    expect(message).toContain('[berth@32473 container="x\\"\\] [evil@1 a=\\"b"]');
  });

  it('keeps header fields printable ASCII without spaces, so a field cannot shift the next one', () => {
    const message = formatSyslogMessage({ ...line, replica: 'r 1\nx' }, { app: 'ünï code', hostname: '' });
    expect(message.split(' ').slice(0, 6)).toEqual([
      '<14>1',
      '2026-12-05T17:00:00.123456Z',
      '-',
      '_n__code',
      'r_1_x',
      'stdout',
    ]);
  });

  it('leaves timestamps with 6 digits or fewer alone', () => {
    expect(syslogTimestamp('2026-12-05T17:00:00.12Z')).toBe('2026-12-05T17:00:00.12Z');
    expect(syslogTimestamp('2026-12-05T17:00:00Z')).toBe('2026-12-05T17:00:00Z');
  });

  it('bounds the message: a long line is cut on a UTF-8 boundary with a note', () => {
    const message = formatSyslogMessage({ ...line, text: 'é'.repeat(SYSLOG_MAX_MESSAGE_BYTES) }, context);
    const text = message.slice(message.indexOf('"] ') + 3);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SYSLOG_MAX_MESSAGE_BYTES);
    expect(text).toMatch(/^é+ \[truncated, 16384 bytes\]$/);
    expect(
      formatSyslogMessage({ ...line, text: 'x'.repeat(100) }, { ...context, maxMessageBytes: 50 }),
    ).toMatch(/\] x+ \[truncated, 100 bytes\]$/);
  });
});

describe('octet counting (RFC 6587)', () => {
  it('prefixes the length in bytes, not characters', () => {
    expect(octetCounted('abc')).toBe('3 abc');
    expect(octetCounted('é€')).toBe('5 é€');
  });

  it('frames a message carrying a newline as one message', () => {
    const framed = octetCounted('one\ntwo') + octetCounted('three');
    expect(framed).toBe('7 one\ntwo5 three');
  });
});
