import crypto from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Stored bytes: what `put` wrote and its digest. */
export interface StoredBlob {
  bytes: number;
  sha256: string;
}

/**
 * Where normalized sources (and other large opaque files) live. Keys are relative names such as
 * `sources/<tenant>/<app>/<uuid>.tar.gz`. A filesystem implementation below; an object store can follow.
 */
export interface BlobStore {
  /** Stores the whole stream under `key` atomically (readers see the old blob or the new one, never half). */
  put(key: string, stream: Readable): Promise<StoredBlob>;
  /** The blob's bytes; the stream fails (ENOENT) when it is absent. */
  get(key: string): Readable;
  /** Removes the blob; absent is fine. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

/** Segments of letters, digits, `.`, `_`, `-`, not starting with a dot (so no `.`/`..`, no hidden files). */
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 200; // builds.source_key is varchar(200)
/** Temp files live under the root, so the final rename never crosses filesystems. */
const TEMP_DIR = '.tmp';

/** Throws unless `key` is a safe relative blob name. */
export function assertBlobKey(key: string): void {
  if (key.length > MAX_KEY_LENGTH || !KEY.test(key)) {
    throw new Error(`invalid blob key ${JSON.stringify(key.slice(0, MAX_KEY_LENGTH))}`);
  }
}

/**
 * Blobs as files under one root folder (`<dataDir>/blobs` by default), readable by the owner only.
 * `put` streams into `<root>/.tmp/<random>` while hashing, fsyncs, then renames onto the key's path.
 */
export class FileBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  static inDataDir(dataDir: string): FileBlobStore {
    return new FileBlobStore(path.join(dataDir, 'blobs'));
  }

  async put(key: string, stream: Readable): Promise<StoredBlob> {
    const target = this.pathOf(key);
    const tempDir = path.join(this.root, TEMP_DIR);
    await mkdir(tempDir, { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temp = path.join(tempDir, `${crypto.randomUUID()}.part`);
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        stream,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
      );
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  get(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  private pathOf(key: string): string {
    assertBlobKey(key);
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error('blob key escapes the store');
    return full;
  }
}
