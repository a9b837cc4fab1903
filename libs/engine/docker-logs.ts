import type { IncomingMessage } from 'node:http';
import { Readable, finished } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerLogsOptions, LogLine } from './container-engine.js';
import { toEngineError } from './docker-errors.js';
import { DockerFrameDemuxer } from './docker-frames.js';
import { EngineError } from './engine-errors.js';
import { FollowResume } from './follow-resume.js';
import { LogLineAssembler } from './log-lines.js';

/**
 * Batches buffered ahead of a slow consumer before the Engine stream is paused. A batch holds the lines of
 * one read of the socket (at most a read's bytes, 64 KiB), so this bounds the lines held to a few hundred KiB.
 */
const HIGH_WATER_BATCHES = 8;

/** Docker's multiplexed log stream as LogLines (dockerContainerLogBatches, one line at a time). */
export async function* dockerContainerLogs(
  docker: Docker,
  options: ContainerLogsOptions,
): AsyncGenerator<LogLine> {
  for await (const batch of dockerContainerLogBatches(docker, options)) yield* batch;
}

/**
 * Docker's multiplexed log stream as batches of LogLines: the lines of one read of the socket together.
 * Frames are split by DockerFrameDemuxer and joined into lines by LogLineAssembler; this
 * applies backpressure (pauses the HTTP response while the consumer is behind) and destroys the response
 * when the consumer stops or `signal` fires. A follow that ends by itself (the container stopped) is
 * followed by a read of its tail (FollowResume).
 */
export async function* dockerContainerLogBatches(
  docker: Docker,
  options: ContainerLogsOptions,
): AsyncGenerator<LogLine[]> {
  const { signal } = options;
  const query: Record<string, unknown> = { follow: options.follow };
  if (options.since) query.since = unixSeconds(options.since);
  if (options.until) query.until = unixSeconds(options.until);
  if (options.tail !== undefined) query.tail = options.tail;
  if (!options.follow) {
    yield* readLogs(docker, options.id, query, signal);
    return;
  }

  let assembler: LogLineAssembler | undefined;
  yield* readLogs(docker, options.id, query, signal, (used) => (assembler = used));
  if (signal?.aborted) return;
  const resume = new FollowResume(assembler?.lastTimestamp, assembler?.pending ?? []);
  const tailQuery: Record<string, unknown> = { follow: false };
  const since = resume.since;
  if (since !== undefined) tailQuery.since = since;
  else if (query.since !== undefined) tailQuery.since = query.since;
  if (query.until !== undefined) tailQuery.until = query.until;
  if (since === undefined && query.tail !== undefined) tailQuery.tail = query.tail;
  try {
    for await (const batch of readLogs(docker, options.id, tailQuery, signal)) {
      const fresh = batch.filter((line) => resume.isNew(line));
      if (fresh.length > 0) yield fresh;
    }
  } catch (error) {
    if (error instanceof EngineError && error.notFound) return; // removed since: nothing more to read
    throw error;
  }
}

/**
 * One request for the container's log, as batches. The unfinished line at the end is given too, except
 * when `onAssembler` is passed (a follow, whose tail is read again): it then sees what was still held.
 */
async function* readLogs(
  docker: Docker,
  id: string,
  query: Record<string, unknown>,
  signal: AbortSignal | undefined,
  onAssembler?: (assembler: LogLineAssembler) => void,
): AsyncGenerator<LogLine[]> {
  if (signal?.aborted) return;
  let response: IncomingMessage;
  try {
    response = await new Promise<IncomingMessage>((resolve, reject) => {
      // dockerode's container.logs buffers the whole answer unless following; dial keeps it a stream.
      docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(id)}/logs?`,
          method: 'GET',
          options: { ...query, stdout: true, stderr: true, timestamps: true },
          isStream: true,
          abortSignal: signal,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        },
        (error, result) => (error ? reject(error) : resolve(result as IncomingMessage)),
      );
    });
  } catch (error) {
    if (signal?.aborted) return;
    throw toEngineError('containerLogs', error);
  }

  const batches = new Readable({
    objectMode: true,
    highWaterMark: HIGH_WATER_BATCHES,
    read: () => response.resume(),
  });
  // Lines assembled during one read of the socket (however many HTTP chunks and frames it held) go out
  // as one batch, on the microtask after that read's callbacks.
  let batch: LogLine[] = [];
  const pushBatch = () => {
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    if (!batches.push(full)) response.pause();
  };
  const assembler = new LogLineAssembler((line) => {
    if (batch.push(line) === 1) queueMicrotask(pushBatch);
  });
  onAssembler?.(assembler);
  const demuxer = new DockerFrameDemuxer((stream, frame) => assembler.push(stream, frame));
  response.on('data', (chunk: Buffer) => {
    try {
      demuxer.push(chunk);
    } catch (error) {
      response.destroy(error as Error);
    }
  });
  finished(response, (error) => {
    if (error && !signal?.aborted) {
      batches.destroy(toEngineError('containerLogs', error));
      return;
    }
    if (!onAssembler) assembler.flush();
    pushBatch();
    batches.push(null);
  });
  const onAbort = () => response.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const lines of batches) yield lines as LogLine[];
  } finally {
    signal?.removeEventListener('abort', onAbort);
    response.destroy();
    batches.destroy();
  }
}

/** Docker's since/until: seconds since the epoch, with a fraction. */
function unixSeconds(date: Date): string {
  return (date.getTime() / 1000).toFixed(3);
}
