import { describe, expect, it } from '@jest/globals';
import { commandFault } from './runs.dto.js';

describe('commandFault', () => {
  it('accepts a shell string or an argv array', () => {
    expect(commandFault('node migrate.js')).toBeUndefined();
    expect(commandFault(['node', 'migrate.js', ''])).toBeUndefined();
    expect(commandFault(['node', '-e', 'console.log("\u{1F680}")'])).toBeUndefined(); // a surrogate pair
  });

  it.each([
    ['an empty string', ''],
    ['an empty array', []],
    ['a blank program', [' ', 'x']],
    ['a non-string part', ['node', 3]],
    ['a NUL byte', ['node', 'a\0b']],
    ['a lone high surrogate', ['node', 'a\ud800b']],
    ['a lone low surrogate', ['node', '\udc00']],
    ['too many parts', Array.from({ length: 65 }, () => 'a')],
    ['too many characters', ['x'.repeat(8193)]],
    ['a number', 42],
    ['an object', { cmd: 'x' }],
  ])('refuses %s', (_what, value) => {
    expect(commandFault(value)).toEqual(expect.any(String));
  });
});
