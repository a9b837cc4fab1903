import type { Request, Response } from 'express';

/** True when the client asked for newline-delimited JSON (streamed) instead of one JSON document. */
export function wantsNdjson(request: Request): boolean {
  return (request.headers.accept ?? '').includes('application/x-ndjson');
}

/**
 * Streams items as NDJSON, respecting backpressure (waits for 'drain'), and stops the producer when the
 * client goes away. `hold` takes what the stream occupies (a tenant's stream slot) before any byte is sent,
 * so a refusal is still a problem+json answer; its release runs when the stream ends.
 */
export async function streamNdjson<T>(
  request: Request,
  response: Response,
  produce: (signal: AbortSignal) => AsyncIterable<T>,
  options: { hold?: () => Promise<() => void> } = {},
): Promise<void> {
  const release = options.hold ? await options.hold() : () => undefined;
  const controller = new AbortController();
  request.on('close', () => controller.abort());
  response.status(200).type('application/x-ndjson');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();
  try {
    for await (const item of produce(controller.signal)) {
      if (controller.signal.aborted) break;
      if (!response.write(JSON.stringify(item) + '\n')) {
        await new Promise<void>((resolve) => {
          response.once('drain', resolve);
          controller.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    }
  } finally {
    controller.abort();
    release();
    response.end();
  }
}
