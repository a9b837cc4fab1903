import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ArchiveRejectedError } from './archive-errors.js';

export interface SpooledUpload {
  /** Temp file holding the body; the caller removes it when done. */
  file: string;
  bytes: number;
  sha256: string;
}

/**
 * Streams a request body into a new file under `dir` (mode 0600) while counting and hashing it. The
 * moment the body passes `maxBytes` it stops with 413 `upload_too_large` and removes the partial file.
 * On that refusal the source is paused and left open, not destroyed: the HTTP layer can still answer
 * 413 (with `Connection: close`) instead of the client seeing a reset. A failing source (client gone)
 * rejects with its own error, the partial file removed as well.
 */
export async function spoolUpload(options: {
  source: Readable;
  dir: string;
  maxBytes: number;
}): Promise<SpooledUpload> {
  const { source, dir, maxBytes } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `upload-${crypto.randomUUID()}.part`);
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const detach = () => {
        source.off('data', onData);
        source.off('end', onEnd);
        source.off('error', stop);
        source.off('close', onClose);
      };
      const stop = (error: Error) => {
        detach();
        source.pause();
        out.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          stop(
            new ArchiveRejectedError(413, 'upload_too_large', `The upload is larger than ${maxBytes} bytes`, {
              limitBytes: maxBytes,
            }),
          );
          return;
        }
        hash.update(chunk);
        if (!out.write(chunk)) {
          source.pause();
          out.once('drain', () => source.resume());
        }
      };
      const onEnd = () => {
        detach();
        out.end();
      };
      const onClose = () => stop(new Error('the upload ended before it was complete'));
      source.on('data', onData);
      source.once('end', onEnd);
      source.once('error', stop);
      source.once('close', onClose);
      out.once('error', stop);
      out.once('finish', resolve);
      // The client may have gone while the folder was made: its 'close' came before these listeners.
      if (source.destroyed) stop(source.errored ?? new Error('the upload ended before it was complete'));
    });
  } catch (error) {
    await new Promise<void>((resolve) => (out.closed ? resolve() : out.once('close', () => resolve())));
    await rm(file, { force: true });
    throw error;
  }
  return { file, bytes, sha256: hash.digest('hex') };
}
