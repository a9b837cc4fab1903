import { describe, expect, it } from '@jest/globals';
import type { LogLine } from './container-engine.js';
import { LogLineAssembler } from './log-lines.js';

const T1 = '2026-11-23T14:00:00.000000001Z';
const T2 = '2026-11-23T14:00:00.000000002Z';
const T3 = '2026-11-23T14:00:00.000000003Z';

function assemble(frames: [LogLine['stream'], string | Buffer][]): LogLine[] {
  const lines: LogLine[] = [];
  const assembler = new LogLineAssembler((line) => lines.push(line));
  for (const [stream, frame] of frames)
    assembler.push(stream, Buffer.isBuffer(frame) ? frame : Buffer.from(frame));
  assembler.flush();
  return lines;
}

describe('LogLineAssembler', () => {
  it('gives one line per complete message, with its stream and timestamp', () => {
    expect(
      assemble([
        ['stdout', `${T1} hello\n`],
        ['stderr', `${T2} oops\n`],
      ]),
    ).toEqual([
      { stream: 'stdout', timestamp: T1, text: 'hello' },
      { stream: 'stderr', timestamp: T2, text: 'oops' },
    ]);
  });

  it('joins a long line the log driver split into partial messages, keeping the first timestamp', () => {
    expect(
      assemble([
        ['stdout', `${T1} aaa`],
        ['stdout', `${T2} bbb`],
        ['stdout', `${T3} ccc\n`],
      ]),
    ).toEqual([{ stream: 'stdout', timestamp: T1, text: 'aaabbbccc' }]);
  });

  it('keeps partial lines of stdout and stderr apart', () => {
    expect(
      assemble([
        ['stdout', `${T1} out-`],
        ['stderr', `${T2} err\n`],
        ['stdout', `${T3} end\n`],
      ]),
    ).toEqual([
      { stream: 'stderr', timestamp: T2, text: 'err' },
      { stream: 'stdout', timestamp: T1, text: 'out-end' },
    ]);
  });

  it('decodes a UTF-8 character split between two messages', () => {
    const euro = Buffer.from('€');
    const first = Buffer.concat([Buffer.from(`${T1} price `), euro.subarray(0, 1)]);
    const second = Buffer.concat([Buffer.from(`${T2} `), euro.subarray(1), Buffer.from('5\n')]);
    expect(
      assemble([
        ['stdout', first],
        ['stdout', second],
      ]),
    ).toEqual([{ stream: 'stdout', timestamp: T1, text: 'price €5' }]);
  });

  it('keeps empty lines and flushes a last line without a newline', () => {
    expect(
      assemble([
        ['stdout', `${T1} \n`],
        ['stdout', `${T2} tail`],
      ]),
    ).toEqual([
      { stream: 'stdout', timestamp: T1, text: '' },
      { stream: 'stdout', timestamp: T2, text: 'tail' },
    ]);
  });

  it('splits a message that holds several lines', () => {
    expect(assemble([['stdout', `${T1} a\nb\n`]]).map((line) => line.text)).toEqual(['a', 'b']);
  });

  it('cuts a long line at once, keeping its first timestamp, and stamps the next line with its own', () => {
    const lines: LogLine[] = [];
    const assembler = new LogLineAssembler((line) => lines.push(line), 64);
    assembler.push('stdout', Buffer.from(`${T1} ${'x'.repeat(100)}`));
    expect(lines).toHaveLength(1); // emitted before the line ends
    assembler.push('stdout', Buffer.from(`${T2} more x\nnext`));
    assembler.push('stdout', Buffer.from(`${T3} \n`));
    assembler.flush();
    expect(
      lines.map((line) => [line.timestamp, line.text.slice(0, 4), Buffer.byteLength(line.text) <= 64]),
    ).toEqual([
      [T1, 'xxxx', true],
      [T2, 'next', true],
    ]);
    expect(lines[0].text).toMatch(/ \[truncated, line longer than 64 bytes\]$/);
  });
});
