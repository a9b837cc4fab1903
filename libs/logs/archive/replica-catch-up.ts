import { EngineError } from '../../engine/index.js';
import type { EnginePool } from '../../hosts/index.js';
import type { Replica } from '../../runtime/index.js';
import { withoutReplays } from '../follow-replays.js';
import { type LogPosition, toAppEntries } from '../log-entry.js';
import { floorToDate } from '../log-filter.js';
import { type ArchiveItem, type ArchivedLine, isAfter } from './archive-batch.js';

/** Lines longer than this were cut before they reach the archive (as everywhere else). */
const MAX_LINE_BYTES = 16 * 1024;

export interface CatchUpOptions {
  pool: EnginePool;
  replica: Replica & { containerId: string };
  /** Lines at or before it are in the store already. */
  watermark: LogPosition | undefined;
  /** Items per `write`. */
  chunkLines: number;
  signal: AbortSignal;
  /** What to queue for a line: the line, or its refusal (the daily byte cap). */
  admit: (line: ArchivedLine) => ArchiveItem;
  write: (items: ArchiveItem[]) => Promise<void>;
  /** False: stop reading (the app is no longer archived here). */
  wanted: () => boolean;
}

/**
 * Reads a replica's log from its watermark to its end (one finite engine read, no follow: Docker's `since`
 * rounded down to the millisecond, lines at or before the watermark skipped, repeats after a rotation
 * dropped as in every read) and hands it to `write` in chunks. `complete`: every line the container had is
 * written; a container that is gone has nothing more to give, so that is complete too. Other engine
 * errors are thrown.
 */
export async function catchUpReplica(
  options: CatchUpOptions,
): Promise<{ complete: boolean; newest: LogPosition | undefined }> {
  const { replica, watermark } = options;
  let newest: LogPosition | undefined;
  try {
    const engine = await options.pool.engineFor(replica.hostId);
    const lines = engine.containerLogs({
      id: replica.containerId,
      follow: false,
      ...(watermark ? { since: floorToDate(watermark.timestamp) } : {}),
      signal: options.signal,
    });
    const entries = toAppEntries(withoutReplays(lines), {
      replica: replica.id,
      containerId: replica.containerId,
      maxLineBytes: MAX_LINE_BYTES,
    });
    let chunk: ArchiveItem[] = [];
    for await (const entry of entries) {
      if (!options.wanted()) return { complete: false, newest };
      if (entry.stream !== 'stdout' && entry.stream !== 'stderr') continue;
      if (!isAfter(entry, watermark)) continue;
      chunk.push(options.admit({ ...entry, appId: replica.appId, stream: entry.stream }));
      newest = { timestamp: entry.timestamp, replica: replica.id, ordinal: entry.ordinal };
      if (chunk.length >= options.chunkLines) {
        await options.write(chunk);
        chunk = [];
      }
    }
    await options.write(chunk);
    return { complete: true, newest };
  } catch (error) {
    if (error instanceof EngineError && error.notFound) return { complete: true, newest };
    throw error;
  }
}
