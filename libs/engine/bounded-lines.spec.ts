import { describe, expect, it } from '@jest/globals';
import { BoundedLineSplitter, cutMark } from './bounded-lines.js';

function split(chunks: (string | Buffer)[], max = 64): { text: string; tag: number; cut: boolean }[] {
  const lines: { text: string; tag: number; cut: boolean }[] = [];
  const splitter = new BoundedLineSplitter<number>((text, tag, cut) => lines.push({ text, tag, cut }), max);
  chunks.forEach((chunk, index) => splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), index));
  splitter.end();
  return lines;
}

const texts = (chunks: (string | Buffer)[], max?: number) => split(chunks, max).map((line) => line.text);

describe('BoundedLineSplitter', () => {
  it('splits lines whatever the chunk boundaries and keeps empty lines', () => {
    expect(texts(['a\nb', 'c\n\nd'])).toEqual(['a', 'bc', '', 'd']);
    expect(texts(['one\n'])).toEqual(['one']);
    expect(texts([])).toEqual([]);
  });

  it('reports each line with the tag of the chunk that held its first byte', () => {
    expect(split(['a', 'b\nc', 'd\n', 'e']).map((line) => [line.text, line.tag])).toEqual([
      ['ab', 0],
      ['cd', 1],
      ['e', 3],
    ]);
  });

  it('keeps a line of exactly the budget whole and cuts one byte more, within the budget', () => {
    const max = 64;
    expect(split(['x'.repeat(max) + '\n'], max)).toEqual([{ text: 'x'.repeat(max), tag: 0, cut: false }]);
    const [line, next] = split(['x'.repeat(max + 1) + '\nnext\n'], max);
    expect(line.cut).toBe(true);
    expect(line.text.endsWith(cutMark(max))).toBe(true);
    expect(Buffer.byteLength(line.text)).toBeLessThanOrEqual(max);
    expect(next).toEqual({ text: 'next', tag: 0, cut: false });
  });

  it('drops the rest of a cut line up to the next newline, across chunks', () => {
    const max = 64;
    const lines = split(['y'.repeat(50), 'y'.repeat(50), 'y'.repeat(500), 'tail\nafter'], max);
    expect(lines.map((line) => [line.cut, line.tag])).toEqual([
      [true, 0],
      [false, 3],
    ]);
    expect(lines[1].text).toBe('after');
  });

  it('never emits half a character at the cut, whatever the character width and offset', () => {
    const max = 64;
    for (const char of ['é', '€', '𝄞']) {
      for (let offset = 0; offset < 4; offset++) {
        const text = 'a'.repeat(offset) + char.repeat(40);
        // pushed one byte at a time, so the cut also falls between chunks
        const bytes = Buffer.from(text + '\n');
        const chunks = [...bytes].map((byte) => Buffer.from([byte]));
        const [line] = split(chunks, max);
        expect(line.cut).toBe(true);
        expect(line.text).not.toContain('\uFFFD');
        expect(Buffer.byteLength(line.text)).toBeLessThanOrEqual(max);
        expect(text.startsWith(line.text.slice(0, -cutMark(max).length))).toBe(true);
      }
    }
  });

  it('decodes a character split between chunks of a whole line', () => {
    const euro = Buffer.from('€');
    expect(
      texts([Buffer.concat([Buffer.from('price '), euro.subarray(0, 2)]), euro.subarray(2), '5\n']),
    ).toEqual(['price €5']);
  });

  it('refuses a budget too small to hold its own cut mark', () => {
    expect(() => new BoundedLineSplitter(() => {}, 8)).toThrow(RangeError);
  });
});
