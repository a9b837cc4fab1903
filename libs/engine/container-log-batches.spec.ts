import { describe, expect, it } from '@jest/globals';
import type { ContainerEngine, ContainerLogsOptions, LogLine } from './container-engine.js';
import { containerLogBatchesOf, hasLogBatchesCapability } from './container-log-batches.js';

const lines: LogLine[] = [1, 2, 3].map((n) => ({
  stream: 'stdout',
  timestamp: `2026-12-05T16:00:00.00000000${n}Z`,
  text: `l${n}`,
}));

/** An engine with only the core containerLogs (one line at a time), recording its calls. */
function perLineEngine() {
  const calls: ContainerLogsOptions[] = [];
  const engine = {
    async *containerLogs(options: ContainerLogsOptions) {
      calls.push(options);
      yield* lines;
    },
  } as unknown as ContainerEngine;
  return { engine, calls };
}

async function collect(batches: AsyncIterable<LogLine[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of batches) out.push(batch.map((line) => line.text));
  return out;
}

describe('containerLogBatchesOf', () => {
  it("uses the engine's own batches when it has the ability", async () => {
    const engine = {
      async *containerLogBatches() {
        yield lines.slice(0, 2);
        yield lines.slice(2);
      },
    } as unknown as ContainerEngine;
    expect(hasLogBatchesCapability(engine)).toBe(true);
    expect(await collect(containerLogBatchesOf(engine, { id: 'c1', follow: true }))).toEqual([
      ['l1', 'l2'],
      ['l3'],
    ]);
  });

  it('reads an engine without it through containerLogs, one line per batch, with the same options', async () => {
    const { engine, calls } = perLineEngine();
    expect(hasLogBatchesCapability(engine)).toBe(false);
    const options = { id: 'c1', follow: true, tail: 5 };
    expect(await collect(containerLogBatchesOf(engine, options))).toEqual([['l1'], ['l2'], ['l3']]);
    expect(calls).toEqual([options]);
  });
});
