import { BoundedLineSplitter, MAX_LINE_BYTES } from './bounded-lines.js';

/**
 * The Engine's JSON-lines answers (build, pull, push, load, events) are the daemon's own, but a build's
 * `stream` messages carry tenant output (one message per write of a RUN step, at most a few hundred KiB
 * once JSON-escaped), so they are bounded too, with room to spare. A message cut at this bound no longer
 * parses: the operation fails rather than holding more.
 */
export const MAX_ENGINE_JSON_LINE_BYTES = 1024 * 1024;

/**
 * The lines of a byte stream (without "\n"), whatever the chunk boundaries, UTF-8 safe, each cut at
 * `maxLineBytes` (BoundedLineSplitter: a cut line ends with its cut mark). Errors and premature closes of
 * the stream reject the iteration; stopping the iteration destroys the stream.
 */
export async function* streamLines(
  stream: NodeJS.ReadableStream,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<string> {
  const lines: string[] = [];
  const splitter = new BoundedLineSplitter((text) => lines.push(text), maxLineBytes);
  for await (const chunk of stream) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    yield* lines.splice(0);
  }
  splitter.end();
  yield* lines.splice(0);
}

/** Parses one line of a JSON-lines stream from the Engine API; blank lines give undefined. */
export function parseJsonLine<T>(line: string): T | undefined {
  const trimmed = line.trim();
  return trimmed === '' ? undefined : (JSON.parse(trimmed) as T);
}

/**
 * Destroys `stream` when `signal` fires (with the signal's reason), and returns a function that stops
 * listening. Already-aborted signals destroy at once.
 */
export function destroyOnAbort(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: (error?: Error) => void };
  const onAbort = () => destroyable.destroy?.(abortReason(signal));
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('This operation was aborted', 'AbortError');
}
