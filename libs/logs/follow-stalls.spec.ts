import { describe, expect, it } from '@jest/globals';
import { FollowStalledError, withStallCheck } from './follow-stalls.js';
import type { SourceLogLine } from './log-entry.js';

const T = (n: number) => `2026-11-23T14:00:0${n}.000000000Z`;
const line = (n: number): SourceLogLine => ({ stream: 'stdout', timestamp: T(n), text: `l${n}` });

/** Yields `lines`, then hangs until its signal fires (as a stuck Docker follow does). */
function stuckFollow(lines: SourceLogLine[]) {
  const opened: AbortSignal[] = [];
  const open = (signal: AbortSignal) => {
    opened.push(signal);
    return (async function* () {
      if (lines.length > 0) yield lines;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    })();
  };
  return { open, opened };
}

async function drain(source: AsyncIterable<SourceLogLine[]>, got: string[]): Promise<unknown> {
  try {
    for await (const batch of source) for (const l of batch) got.push(l.text);
    return 'ended';
  } catch (error) {
    return error;
  }
}

describe('withStallCheck', () => {
  it('ends a follow that went quiet while the container logged on, and aborts its read', async () => {
    const follow = stuckFollow([line(1), line(2)]);
    const got: string[] = [];
    const outcome = await drain(
      withStallCheck({
        open: follow.open,
        newest: async () => T(3),
        since: T(0),
        quietMs: 20,
        signal: new AbortController().signal,
      }),
      got,
    );
    expect(got).toEqual(['l1', 'l2']);
    expect(outcome).toBeInstanceOf(FollowStalledError);
    expect(follow.opened[0].aborted).toBe(true);
  });

  it('keeps a quiet follow whose container logged nothing newer, until its signal fires', async () => {
    const follow = stuckFollow([line(1)]);
    const controller = new AbortController();
    let probes = 0;
    const got: string[] = [];
    const done = drain(
      withStallCheck({
        open: follow.open,
        newest: async () => (probes++, T(1)),
        since: T(0),
        quietMs: 10,
        signal: controller.signal,
      }),
      got,
    );
    // Several quiet periods pass (however slow the machine): each probe finds nothing newer.
    for (let waited = 0; probes < 3 && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    expect(await done).toBe('ended');
    expect(got).toEqual(['l1']);
    expect(probes).toBeGreaterThanOrEqual(3);
  });

  it('counts a line after `since` as missing when the follow delivered nothing at all', async () => {
    const follow = stuckFollow([]);
    const outcome = await drain(
      withStallCheck({
        open: follow.open,
        newest: async () => T(5),
        since: T(4),
        quietMs: 10,
        signal: new AbortController().signal,
      }),
      [],
    );
    expect(outcome).toBeInstanceOf(FollowStalledError);
  });
});
