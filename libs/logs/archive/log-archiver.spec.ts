import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { BerthConfig } from '../../config/index.js';
import type { EnginePool } from '../../hosts/index.js';
import type { ReplicasRepository } from '../../runtime/index.js';
import type { AppLogEntry } from '../log-entry.js';
import type { LogHub } from '../log-fanout.js';
import type { SendLogs } from '../log-subscriber.js';
import { ARCHIVE_BATCH_DELAY_MS, ARCHIVE_BATCH_LINES, LogArchiver } from './log-archiver.js';
import { type ArchiveWrite, type LogArchiveStore, utcDay } from './log-archive-store.js';

const APP = '11111111-1111-4111-8111-111111111111';
const REPLICA = '22222222-2222-4222-8222-222222222222';

/** An archiver of one app whose store writes only when the test says so. */
function archiverWithHeldWrites() {
  let send: SendLogs | undefined;
  const writes: ArchiveWrite[] = [];
  const pendingWrites: (() => void)[] = [];
  const store = {
    ensurePartitions: async () => ({ created: [], dropped: [] }),
    settingsOf: async (appIds: string[]) => appIds.map((appId) => ({ appId, bytesPerDay: 1 << 30 })),
    watermarksOf: async () => [],
    bytesKeptOn: async () => new Map<string, number>(),
    write: (write: ArchiveWrite) =>
      new Promise<number>((resolve) => {
        writes.push(write);
        pendingWrites.push(() => resolve(write.lines.length));
      }),
  };
  const replicaRows = {
    appIdsWithLiveReplicas: async () => [APP],
    startedWithContainerOfApps: async () => [],
  };
  const hub = {
    subscribe: (options: { send: SendLogs }) => {
      send = options.send;
      return { unsubscribe: () => undefined, resume: () => undefined, queuedLines: 0, droppedLines: 0 };
    },
  };
  const archiver = new LogArchiver(
    { runWorkers: true, logArchive: true } as unknown as BerthConfig,
    hub as unknown as LogHub,
    {} as DataSource,
    store as unknown as LogArchiveStore,
    replicaRows as unknown as ReplicasRepository,
    {} as EnginePool,
  );
  let ordinal = 0;
  const deliver = (count: number) => {
    const lines: AppLogEntry[] = Array.from({ length: count }, () => ({
      seq: ordinal + 1,
      timestamp: '2026-12-05T12:00:00.000000000Z',
      replica: REPLICA,
      containerId: 'c'.repeat(64),
      stream: 'stdout',
      text: `line ${ordinal}`,
      ordinal: ordinal++,
    }));
    send!(lines);
  };
  const finishWrite = async () => {
    pendingWrites.shift()!();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { archiver, deliver, writes, finishWrite };
}

describe('LogArchiver batching', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('lines that come during a write wait for the batch timer instead of going out as the write ends', async () => {
    const { archiver, deliver, writes, finishWrite } = archiverWithHeldWrites();
    await archiver.runPass();
    deliver(10);
    expect(writes).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(ARCHIVE_BATCH_DELAY_MS);
    expect(writes.map((w) => w.lines.length)).toEqual([10]);

    // A steady trickle while the store is slow: 5 deliveries of 10 lines during the write.
    for (let i = 0; i < 5; i++) deliver(10);
    await finishWrite();
    expect(writes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(ARCHIVE_BATCH_DELAY_MS - 1);
    expect(writes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(writes.map((w) => w.lines.length)).toEqual([10, 50]);
    await finishWrite();
  });

  it('a full batch goes at once, right after the write under way, and flush() writes every line', async () => {
    const { archiver, deliver, writes, finishWrite } = archiverWithHeldWrites();
    await archiver.runPass();
    deliver(ARCHIVE_BATCH_LINES);
    await Promise.resolve();
    expect(writes.map((w) => w.lines.length)).toEqual([ARCHIVE_BATCH_LINES]);

    deliver(ARCHIVE_BATCH_LINES);
    deliver(7);
    await finishWrite();
    expect(writes.map((w) => w.lines.length)).toEqual([ARCHIVE_BATCH_LINES, ARCHIVE_BATCH_LINES]);

    const flushed = archiver.flush();
    await finishWrite();
    await finishWrite();
    await flushed;
    expect(writes.map((w) => w.lines.length)).toEqual([ARCHIVE_BATCH_LINES, ARCHIVE_BATCH_LINES, 7]);
    expect(writes.flatMap((w) => w.lines.map((l) => l.ordinal))).toEqual(
      Array.from({ length: 2 * ARCHIVE_BATCH_LINES + 7 }, (_, i) => i),
    );
    expect(writes[2].watermarks).toEqual([]); // not synced yet: no catch-up ran
  });
});

describe('utcDay', () => {
  it('gives the UTC day of the instant, forwards and backwards across midnight', () => {
    const midnight = Date.parse('2026-12-06T00:00:00.000Z');
    expect(utcDay(midnight - 1)).toBe('2026-12-05');
    expect(utcDay(midnight)).toBe('2026-12-06');
    expect(utcDay(midnight + 86_399_999)).toBe('2026-12-06');
    expect(utcDay(midnight + 86_400_000)).toBe('2026-12-07');
    expect(utcDay(midnight - 1)).toBe('2026-12-05');
    expect(utcDay(Date.parse('1999-12-31T23:59:59.999Z'))).toBe('1999-12-31');
  });
});
