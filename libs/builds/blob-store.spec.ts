import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { assertBlobKey, FileBlobStore } from './blob-store.js';
import { collect, tempDir } from './testing/archive-fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let store: FileBlobStore;
beforeEach(async () => {
  tmp = await tempDir();
  store = FileBlobStore.inDataDir(tmp.dir);
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('FileBlobStore', () => {
  it('stores a stream under <dataDir>/blobs and reports its size and sha256', async () => {
    const data = crypto.randomBytes(300_000);
    const stored = await store.put(
      'sources/t1/a1/b1.tar.gz',
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    );
    expect(stored).toEqual({
      bytes: data.length,
      sha256: crypto.createHash('sha256').update(data).digest('hex'),
    });
    expect(store.root).toBe(path.join(tmp.dir, 'blobs'));
    const file = path.join(tmp.dir, 'blobs/sources/t1/a1/b1.tar.gz');
    expect((await readFile(file)).equals(data)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await collect(store.get('sources/t1/a1/b1.tar.gz'))).equals(data)).toBe(true);
  });

  it('reports existence and deletes (deleting twice is fine)', async () => {
    await store.put('k', Readable.from([Buffer.from('x')]));
    expect(await store.exists('k')).toBe(true);
    expect(await store.exists('other')).toBe(false);
    await store.delete('k');
    await store.delete('k');
    expect(await store.exists('k')).toBe(false);
  });

  it('replaces a blob atomically and leaves no temp file', async () => {
    await store.put('k', Readable.from([Buffer.from('old')]));
    await store.put('k', Readable.from([Buffer.from('new')]));
    expect((await collect(store.get('k'))).toString()).toBe('new');
    expect(await readdir(path.join(store.root, '.tmp'))).toEqual([]);
  });

  it('keeps the previous blob and removes the temp file when the stream fails midway', async () => {
    await store.put('k', Readable.from([Buffer.from('old')]));
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('client went away');
    }
    await expect(store.put('k', Readable.from(failing()))).rejects.toThrow('client went away');
    expect((await collect(store.get('k'))).toString()).toBe('old');
    expect(await readdir(path.join(store.root, '.tmp'))).toEqual([]);
  });

  it('fails the read stream of an absent blob with ENOENT', async () => {
    await expect(collect(store.get('absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['traversal', '../escape'],
    ['traversal inside', 'a/../../escape'],
    ['absolute', '/etc/passwd'],
    ['dot segment', 'a/./b'],
    ['hidden file', '.tmp/x'],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['backslash', 'a\\b'],
    ['NUL', 'a\u0000b'],
    ['empty', ''],
    ['too long', 'a'.repeat(201)],
  ])('refuses an unsafe key: %s', async (_label, key) => {
    expect(() => assertBlobKey(key)).toThrow('invalid blob key');
    await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow('invalid blob key');
    expect(() => store.get(key)).toThrow('invalid blob key');
    await expect(store.delete(key)).rejects.toThrow('invalid blob key');
    await expect(store.exists(key)).rejects.toThrow('invalid blob key');
  });
});
