import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { ArchiveRejectedError } from './archive-errors.js';
import { tempDir } from './testing/archive-fixtures.js';
import { spoolUpload } from './upload-spool.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('spoolUpload', () => {
  it('writes the body to a private temp file and reports its size and sha256', async () => {
    const data = crypto.randomBytes(200_000);
    const spooled = await spoolUpload({
      source: Readable.from([data.subarray(0, 7), data.subarray(7)]),
      dir: tmp.dir,
      maxBytes: data.length,
    });
    expect(spooled.bytes).toBe(data.length);
    expect(spooled.sha256).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    expect((await readFile(spooled.file)).equals(data)).toBe(true);
    expect((await stat(spooled.file)).mode & 0o777).toBe(0o600);
  });

  it('stops at the first byte over the limit with 413 upload_too_large and removes the partial file', async () => {
    const source = new PassThrough();
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024);
    // An endless client: keeps sending until the spool stops reading.
    const feed = setInterval(() => {
      if (!source.destroyed && source.write(chunk)) written += chunk.length;
    }, 1);
    try {
      const error = await spoolUpload({ source, dir: tmp.dir, maxBytes: 1024 * 1024 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ArchiveRejectedError);
      expect(error).toMatchObject({ status: 413, code: 'upload_too_large' });
      expect(await readdir(tmp.dir)).toEqual([]);
      expect(source.isPaused()).toBe(true); // left for the HTTP layer to answer 413, not reset
      expect(written).toBeLessThan(4 * 1024 * 1024);
    } finally {
      clearInterval(feed);
      source.destroy();
    }
  });

  it('accepts a body of exactly maxBytes', async () => {
    const spooled = await spoolUpload({
      source: Readable.from([Buffer.alloc(1000)]),
      dir: tmp.dir,
      maxBytes: 1000,
    });
    expect(spooled.bytes).toBe(1000);
  });

  it('rejects with the source error and removes the partial file when the client goes away', async () => {
    async function* aborted() {
      yield Buffer.from('partial');
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    await expect(
      spoolUpload({ source: Readable.from(aborted()), dir: tmp.dir, maxBytes: 1000 }),
    ).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(await readdir(tmp.dir)).toEqual([]);
  });

  it('rejects a source that was already closed when spooling began (the client left early)', async () => {
    const source = new PassThrough();
    source.write('partial');
    source.destroy();
    await expect(spoolUpload({ source, dir: tmp.dir, maxBytes: 1000 })).rejects.toThrow(
      'ended before it was complete',
    );
    expect(await readdir(tmp.dir)).toEqual([]);
  });

  it('rejects when the source closes without ending', async () => {
    const source = new PassThrough();
    const spooling = spoolUpload({ source, dir: tmp.dir, maxBytes: 1000 });
    source.write('partial');
    setTimeout(() => source.destroy(), 10);
    await expect(spooling).rejects.toThrow('ended before it was complete');
    expect(await readdir(tmp.dir)).toEqual([]);
  });
});
