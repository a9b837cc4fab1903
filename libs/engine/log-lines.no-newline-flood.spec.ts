import { describe, expect, it } from '@jest/globals';
import { MAX_LINE_BYTES, cutMark } from './bounded-lines.js';
import type { LogLine } from './container-engine.js';
import { LogLineAssembler } from './log-lines.js';

const MiB = 1024 * 1024;
const STAMP = '2026-11-23T14:00:00.000000001Z';

describe('LogLineAssembler under a no-newline flood', () => {
  it('holds at most 16 KiB per stream, yields one cut line and looks at each byte once', () => {
    const lines: LogLine[] = [];
    const assembler = new LogLineAssembler((line) => lines.push(line));
    const body = Buffer.alloc(64 * 1024, 'x');
    const frame = Buffer.concat([Buffer.from(`${STAMP} `), body]);
    const flood = 200 * MiB;
    let maxPending = 0;
    for (let sent = 0; sent < flood; sent += body.length) {
      assembler.push('stdout', frame);
      maxPending = Math.max(maxPending, assembler.pendingBytes);
    }
    assembler.push('stdout', Buffer.from(`${STAMP} \nafter the flood\n`));
    assembler.flush();

    expect(maxPending).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(assembler.bytesScanned).toBe(flood + '\nafter the flood\n'.length);
    expect(lines.map((line) => line.text.length)).toEqual([MAX_LINE_BYTES, 'after the flood'.length]);
    expect(lines[0]).toMatchObject({ stream: 'stdout', timestamp: STAMP });
    expect(lines[0].text.endsWith(cutMark(MAX_LINE_BYTES))).toBe(true);
  });

  it('keeps the two streams apart: a flood on stdout does not cut stderr lines', () => {
    const lines: LogLine[] = [];
    const assembler = new LogLineAssembler((line) => lines.push(line));
    const frame = Buffer.concat([Buffer.from(`${STAMP} `), Buffer.alloc(64 * 1024, 'x')]);
    for (let i = 0; i < 16; i++) {
      assembler.push('stdout', frame);
      assembler.push('stderr', Buffer.from(`${STAMP} err ${i}\n`));
    }
    expect(assembler.pendingBytes).toBe(0); // stdout's cut line is out; the rest of it is dropped
    expect(lines.filter((line) => line.stream === 'stderr').map((line) => line.text)).toEqual(
      Array.from({ length: 16 }, (_, i) => `err ${i}`),
    );
    expect(lines.filter((line) => line.stream === 'stdout')).toHaveLength(1);
  });
});
