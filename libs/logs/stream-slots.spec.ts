import { describe, expect, it } from '@jest/globals';
import { ProblemError } from '../errors/index.js';
import { StreamSlots } from './stream-slots.js';

describe('StreamSlots', () => {
  it('counts per tenant, refuses one over the limit with 429, and frees a slot once', () => {
    const slots = new StreamSlots(2);
    const a1 = slots.acquire('a');
    slots.acquire('a');
    slots.acquire('b');
    let refused: unknown;
    try {
      slots.acquire('a');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ProblemError);
    expect(refused).toMatchObject({ status: 429, code: 'stream_limit_reached' });
    a1();
    a1(); // a second release changes nothing
    expect(slots.count('a')).toBe(1);
    expect(() => slots.acquire('a')).not.toThrow();
    expect(slots.count('a')).toBe(2);
  });
});
