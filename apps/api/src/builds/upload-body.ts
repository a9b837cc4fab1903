import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { ProblemError } from '../../../../libs/errors/index.js';

/**
 * The uploaded archive as a stream: the raw request body (tar.gz, zip or octet-stream), or the first file
 * part of a multipart/form-data body. Nothing is buffered here; size limits apply downstream while spooling.
 */
export function uploadStream(request: Request): Promise<Readable> {
  const type = (request.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data')) {
    if (type && !/^(application\/(gzip|x-gzip|x-tar|zip|x-zip-compressed|octet-stream))\b/.test(type)) {
      throw new ProblemError(
        415,
        'unsupported_media_type',
        'Unsupported media type',
        'Send the archive as application/gzip, application/zip, application/octet-stream or multipart/form-data',
      );
    }
    return Promise.resolve(request);
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: 10, fieldSize: 1024 } });
    } catch (err) {
      reject(
        new ProblemError(
          400,
          'malformed_multipart',
          'Bad request',
          err instanceof Error ? err.message : 'bad multipart body',
        ),
      );
      return;
    }
    let found = false;
    parser.on('file', (_field, file) => {
      found = true;
      resolve(file);
    });
    parser.on('error', (err) =>
      reject(new ProblemError(400, 'malformed_multipart', 'Bad request', (err as Error).message)),
    );
    parser.on('close', () => {
      if (!found)
        reject(new ProblemError(400, 'no_file', 'Bad request', 'The multipart body has no file part'));
    });
    request.pipe(parser);
  });
}
