import { describe, expect, it } from '@jest/globals';
import { secondsUntilToken } from './token-bucket.js';

describe('tenant token bucket', () => {
  it('waits until the bucket refills to one whole token, at least a second', () => {
    expect(secondsUntilToken(0, 1)).toBe(1);
    expect(secondsUntilToken(0, 0.1)).toBe(10);
    expect(secondsUntilToken(0.75, 0.1)).toBe(3);
    expect(secondsUntilToken(0.999, 10)).toBe(1);
  });
});
