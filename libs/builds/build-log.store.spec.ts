import { describe, expect, it } from '@jest/globals';
import { storedLineText } from './build-log.store.js';

describe('storedLineText', () => {
  it('keeps a line of up to 4,000 characters as it is', () => {
    expect(storedLineText('a'.repeat(4000))).toBe('a'.repeat(4000));
  });

  it('cuts a longer line to 4,000 characters ending with a visible note', () => {
    const stored = storedLineText('b'.repeat(16_000));
    expect(stored).toHaveLength(4000);
    expect(stored).toMatch(/^b+ \[truncated, line longer than 4000 characters\]$/);
  });

  it('never keeps half of a surrogate pair at the cut', () => {
    for (let offset = 0; offset < 2; offset++) {
      const stored = storedLineText('c'.repeat(offset) + '𝄞'.repeat(3000));
      const kept = stored.slice(0, stored.indexOf(' [truncated'));
      expect(kept).toBe(Buffer.from(kept, 'utf8').toString('utf8')); // no lone surrogate
      expect(stored.length).toBeLessThanOrEqual(4000);
    }
  });
});
