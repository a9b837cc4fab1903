import { StringDecoder } from 'node:string_decoder';

/**
 * The lines of a byte stream (without "\n"), whatever the chunk boundaries, UTF-8 safe. Errors and
 * premature closes of the stream reject the iteration; stopping the iteration destroys the stream.
 */
export async function* streamLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    rest += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline = rest.indexOf('\n');
    while (newline !== -1) {
      yield rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      newline = rest.indexOf('\n');
    }
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
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
