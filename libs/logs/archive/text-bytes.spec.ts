import { describe, expect, it } from '@jest/globals';
import { textBytes } from './text-bytes.js';

describe('textBytes', () => {
  const cut = ({ bytes, lengths }: { bytes: Buffer; lengths: number[] }) => {
    let start = 0;
    return lengths.map((length) => bytes.subarray(start, (start += length)).toString('utf8'));
  };

  it('joins the texts and gives each one its byte length', () => {
    const texts = ['plain', '', 'añø 日本語 🚢', 'nul\u0000inside'];
    const encoded = textBytes(texts);
    expect(encoded.lengths).toEqual([5, 0, 20, 10]);
    expect(cut(encoded)).toEqual(texts);
  });

  it('keeps lone surrogates on either side of a boundary apart (each is U+FFFD, as alone)', () => {
    const texts = ['ends high \uD83D', '\uDEA2 starts low'];
    const encoded = textBytes(texts);
    expect(encoded.lengths).toEqual(texts.map((text) => Buffer.byteLength(text)));
    expect(cut(encoded)).toEqual(texts.map((text) => Buffer.from(text).toString('utf8')));
  });
});
