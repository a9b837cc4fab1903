import { describe, expect, it } from '@jest/globals';
import { arrayLiteral } from './array-literal.js';

describe('arrayLiteral', () => {
  it('leaves UUIDs, hex ids, timestamps and integers bare', () => {
    expect(
      arrayLiteral([
        '0b0c3a1e-6f4e-4c55-9d0e-9f1b2c3d4e5f',
        'ab12cd34',
        '2026-12-06T06:47:00.123456789Z',
        'stdout',
      ]),
    ).toBe('{0b0c3a1e-6f4e-4c55-9d0e-9f1b2c3d4e5f,ab12cd34,2026-12-06T06:47:00.123456789Z,stdout}');
    expect(arrayLiteral([0, 17, -3])).toBe('{0,17,-3}');
    expect(arrayLiteral([])).toBe('{}');
  });

  it('quotes what the array syntax would read otherwise: empty, NULL, separators, quotes, backslashes', () => {
    expect(arrayLiteral(['', 'null', 'NULL', 'a,b', 'a b', '{x}', 'say "hi"', 'C:\\dir'])).toBe(
      '{"","null","NULL","a,b","a b","{x}","say \\"hi\\"","C:\\\\dir"}',
    );
  });

  it('refuses numbers the array cannot hold', () => {
    expect(() => arrayLiteral([Number.NaN])).toThrow(RangeError);
    expect(() => arrayLiteral([Infinity])).toThrow(RangeError);
  });
});
