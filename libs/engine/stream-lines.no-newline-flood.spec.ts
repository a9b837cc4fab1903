import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MAX_LINE_BYTES, cutMark } from './bounded-lines.js';
import { streamLines } from './stream-lines.js';

const MiB = 1024 * 1024;

describe('streamLines under a no-newline flood', () => {
  it('yields one cut line for 200 MiB without a newline, then the lines after it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    async function* flood(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < 200 * MiB; sent += chunk.length) yield chunk;
      yield Buffer.from('\nnext\n');
    }
    const lines: string[] = [];
    for await (const line of streamLines(Readable.from(flood()))) lines.push(line);
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([MAX_LINE_BYTES, 4]);
    expect(lines[0].endsWith(cutMark(MAX_LINE_BYTES))).toBe(true);
    expect(lines[1]).toBe('next');
  });

  it('keeps a last line without a newline and decodes characters split between chunks', async () => {
    const euro = Buffer.from('€');
    const source = Readable.from([
      Buffer.from('a\n'),
      euro.subarray(0, 1),
      euro.subarray(1),
      Buffer.from('b'),
    ]);
    const lines: string[] = [];
    for await (const line of streamLines(source)) lines.push(line);
    expect(lines).toEqual(['a', '€b']);
  });
});
