import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { NORMALIZED_MTIME, writeEntry } from './archive-normalize.js';

/** Written next to the Dockerfile: keeps both out of `COPY . .` (Docker still reads them). */
export const DOCKERIGNORE = ['Dockerfile', '.dockerignore', '**/node_modules', '**/.git', ''].join('\n');
/** Root entries of the source that would override the generated build files. */
const RESERVED = new Set(['Dockerfile', '.dockerignore']);
const KEPT_TYPES = new Set(['file', 'directory', 'symlink', 'link']);

/**
 * A Docker build context: `dockerfile` and a .dockerignore, then the entries of the stored normalized
 * source (tar or tar.gz, sniffed), streamed through tar-stream without touching the disk. A source
 * `Dockerfile`/`.dockerignore` at the root is left out so it cannot replace the given ones. Berth's own
 * images need no builder (app-image.ts, dependency-install.ts); the deploy bench's raw side builds its
 * classic Dockerfile with this context, the same bytes Berth was given.
 */
export function buildContextTar(options: { normalizedTar: Readable; dockerfile: string }): Readable {
  const pack = tarStream.pack();
  fillContext(pack, options.normalizedTar, options.dockerfile).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

async function fillContext(pack: tarStream.Pack, source: Readable, dockerfile: string): Promise<void> {
  const fixed = { mode: 0o644, uid: 0, gid: 0, mtime: NORMALIZED_MTIME };
  for (const [name, text] of [
    ['Dockerfile', dockerfile],
    ['.dockerignore', DOCKERIGNORE],
  ]) {
    const body = Buffer.from(text);
    await writeEntry(pack, { ...fixed, name, type: 'file', size: body.length }, [body]);
  }
  const extract = tarStream.extract();
  const piping = pipeline(source, gunzipIfNeeded, extract);
  piping.catch(() => undefined); // awaited below; the loop may fail first
  try {
    for await (const entry of extract) {
      const { name, type, mode, size, linkname } = entry.header;
      const body = entry as AsyncIterable<Buffer>;
      if (RESERVED.has(name.replace(/^\.\//, '')) || !KEPT_TYPES.has(type)) {
        for await (const _chunk of body) {
          // skipped entry: drain it
        }
        continue;
      }
      const headers = {
        name,
        type,
        mode: mode & 0o777,
        size,
        linkname,
        uid: 0,
        gid: 0,
        mtime: NORMALIZED_MTIME,
      };
      await writeEntry(pack, headers, type === 'file' ? body : null);
    }
  } catch (error) {
    source.destroy();
    throw error;
  }
  await piping;
}

/** Passes a plain tar through and gunzips a tar.gz (magic bytes 1f 8b). */
export async function* gunzipIfNeeded(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return;
  async function* whole() {
    yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* whole();
    return;
  }
  const gunzip = createGunzip();
  pipeline(whole(), gunzip).catch((error: unknown) => gunzip.destroy(error as Error));
  yield* gunzip;
}
