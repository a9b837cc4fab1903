import { describe, expect, it } from '@jest/globals';
import { egressWindows } from './egress-ledger.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('egressWindows', () => {
  it('adds up bytes per app and window of the access line', () => {
    const windows = egressWindows(
      [
        { appId: A, atMs: 60_500, bytesIn: 10, bytesOut: 100 },
        { appId: A, atMs: 119_999, bytesIn: 1, bytesOut: 2 },
        { appId: B, atMs: 61_000, bytesIn: 5, bytesOut: 7 },
        { appId: A, atMs: 120_000, bytesIn: 3, bytesOut: 4 },
      ],
      { windowMs: 60_000, openFromMs: 0 },
    );
    expect(windows).toEqual([
      { appId: A, windowStartMs: 60_000, windowEndMs: 120_000, bytesIn: 11, bytesOut: 102 },
      { appId: B, windowStartMs: 60_000, windowEndMs: 120_000, bytesIn: 5, bytesOut: 7 },
      { appId: A, windowStartMs: 120_000, windowEndMs: 180_000, bytesIn: 3, bytesOut: 4 },
    ]);
  });

  it('puts a line read after its window closed into the oldest open window, so no byte is lost', () => {
    const windows = egressWindows([{ appId: A, atMs: 10_000, bytesIn: 1, bytesOut: 9 }], {
      windowMs: 60_000,
      openFromMs: 180_000,
    });
    expect(windows).toEqual([
      { appId: A, windowStartMs: 180_000, windowEndMs: 240_000, bytesIn: 1, bytesOut: 9 },
    ]);
  });

  it('makes nothing of nothing', () => {
    expect(egressWindows([], { windowMs: 60_000, openFromMs: 0 })).toEqual([]);
  });
});
