import type { LogLine } from './container-engine.js';

type Stream = LogLine['stream'];

/**
 * Turns the payloads of Docker's demultiplexed log frames (requested with timestamps) into whole lines.
 *
 * Each frame holds one log message: "<RFC3339Nano timestamp> <text>", where text ends with "\n" for a
 * complete line. A line longer than the log driver's buffer (16 KiB) arrives as several messages, every
 * one but the last without "\n" and each with its own timestamp: those are joined, keeping the first
 * timestamp. Bytes are joined before decoding, so a UTF-8 character split between messages survives
 * (drivers that keep bytes, e.g. `local`; json-file already turned such a split character into U+FFFD
 * when it wrote its file, so with json-file it arrives as one or two replacement characters).
 */
export class LogLineAssembler {
  private readonly pending: Record<Stream, { timestamp: string; parts: Buffer[] } | undefined> = {
    stdout: undefined,
    stderr: undefined,
  };

  constructor(private readonly emit: (line: LogLine) => void) {}

  /** One frame's payload. */
  push(stream: Stream, frame: Buffer): void {
    const space = frame.indexOf(0x20);
    const stamp = space === -1 ? frame.toString('latin1') : frame.toString('latin1', 0, space);
    let body = space === -1 ? Buffer.alloc(0) : frame.subarray(space + 1);
    let current = this.pending[stream];
    if (!current) current = { timestamp: stamp, parts: [] };
    for (let newline = body.indexOf(0x0a); newline !== -1; newline = body.indexOf(0x0a)) {
      current.parts.push(body.subarray(0, newline));
      this.emit({
        stream,
        timestamp: current.timestamp,
        text: Buffer.concat(current.parts).toString('utf8'),
      });
      current = { timestamp: stamp, parts: [] };
      body = body.subarray(newline + 1);
    }
    if (body.length > 0) current.parts.push(body);
    this.pending[stream] = current.parts.length > 0 ? current : undefined;
  }

  /** At the end of the stream: the last line of each stream when it had no trailing newline. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const current = this.pending[stream];
      this.pending[stream] = undefined;
      if (current)
        this.emit({
          stream,
          timestamp: current.timestamp,
          text: Buffer.concat(current.parts).toString('utf8'),
        });
    }
  }
}
