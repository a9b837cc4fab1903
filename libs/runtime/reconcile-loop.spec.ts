import { describe, expect, it } from '@jest/globals';
import { nextPassFor } from './reconcile-loop.js';

describe('nextPassFor', () => {
  const now = Date.parse('2026-12-05T10:00:00Z');

  it('leaves the interval alone when nothing is in progress', () => {
    expect(nextPassFor({ starting: false, nextRestartAt: null }, now)).toBeUndefined();
  });

  it('checks starting replicas again within a second, and a crashed one when its restart is due', () => {
    expect(nextPassFor({ starting: true, nextRestartAt: null }, now)).toEqual({ nextPassInMs: 1000 });
    expect(nextPassFor({ starting: false, nextRestartAt: new Date(now + 8000) }, now)).toEqual({
      nextPassInMs: 8000,
    });
    expect(nextPassFor({ starting: true, nextRestartAt: new Date(now + 8000) }, now)).toEqual({
      nextPassInMs: 1000,
    });
  });

  it('never asks for a pass sooner than a second (no busy loop on a restart due now)', () => {
    expect(nextPassFor({ starting: false, nextRestartAt: new Date(now + 10) }, now)).toEqual({
      nextPassInMs: 1000,
    });
  });
});
