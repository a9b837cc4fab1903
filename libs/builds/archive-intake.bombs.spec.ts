import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { deflatedZeros, PACKAGE_JSON, writeTarGzBomb, zip } from './testing/archive-fixtures.js';
import { intakeHarness } from './testing/intake-harness.js';

const MB = 1024 * 1024;
const LIMIT = 50 * MB;
const EXPANDED = 200 * MB;

let harness: Awaited<ReturnType<typeof intakeHarness>>;
let zeros: Awaited<ReturnType<typeof deflatedZeros>>;
beforeAll(async () => {
  harness = await intakeHarness({ maxEntries: 100, maxExpandedBytes: LIMIT });
  zeros = await deflatedZeros(EXPANDED);
}, 60_000);
afterAll(async () => {
  await harness.cleanup();
});

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('decompression bombs are stopped at the expanded-size limit', () => {
  it('gzip bomb: 200 MB of zeros in ~200 KB, stopped within one chunk of 50 MB', async () => {
    const file = path.join(path.dirname(await harness.spool(Buffer.alloc(0))), 'bomb.tar.gz');
    await writeTarGzBomb(file, EXPANDED);
    expect((await stat(file)).size).toBeLessThan(1 * MB);
    const { result: error, ms } = await timed(() => harness.refusal(file));
    expect(error).toMatchObject({ status: 413, code: 'archive_too_large_expanded' });
    const read = error.extensions.expandedBytesRead as number;
    expect(read).toBeGreaterThan(LIMIT);
    expect(read).toBeLessThan(LIMIT + 1 * MB);
    expect(ms).toBeLessThan(3000);
    if (process.env.BERTH_REPORT_BOMB)
      console.log(`gzip bomb: refused after ${read} bytes in ${ms.toFixed(0)} ms`);
  }, 60_000);

  it('bomb of empty tar blocks (no entry ever appears, so only counting the stream catches it)', async () => {
    const file = path.join(path.dirname(await harness.spool(Buffer.alloc(0))), 'blocks.tar.gz');
    const block = Buffer.alloc(MB);
    async function* blocks() {
      for (let i = 0; i < EXPANDED / MB; i++) yield block;
    }
    await pipeline(Readable.from(blocks()), zlib.createGzip({ level: 9 }), createWriteStream(file));
    const error = await harness.refusal(file);
    expect(error).toMatchObject({ status: 413, code: 'archive_too_large_expanded' });
  }, 60_000);

  it('zip bomb that declares its size: refused from the central directory, nothing inflated', async () => {
    const data = zip([
      { name: 'package.json', body: PACKAGE_JSON },
      { name: 'zeros.bin', precompressed: zeros },
    ]);
    expect(data.length).toBeLessThan(1 * MB);
    const { result: error, ms } = await timed(() => harness.refusal(data));
    expect(error).toMatchObject({ status: 413, code: 'archive_too_large_expanded' });
    expect(error.extensions.expandedBytesRead).toBeLessThan(MB);
    expect(ms).toBeLessThan(1000);
  });

  it('zip bomb that lies about its size: stopped as soon as the body outgrows its header', async () => {
    const data = zip([
      { name: 'package.json', body: PACKAGE_JSON },
      { name: 'zeros.bin', precompressed: zeros, declaredSize: 1000 },
    ]);
    const { result: error, ms } = await timed(() => harness.refusal(data));
    expect(error).toMatchObject({ status: 422, code: 'corrupt_archive' });
    expect(ms).toBeLessThan(1000);
  });

  it('zip bomb spread over many entries that each declare a small size', async () => {
    const piece = await deflatedZeros(2 * MB);
    const entries = Array.from({ length: 30 }, (_, i) => ({ name: `z${i}.bin`, precompressed: piece }));
    const error = await harness.refusal(zip([{ name: 'package.json', body: PACKAGE_JSON }, ...entries]));
    expect(error).toMatchObject({ status: 413, code: 'archive_too_large_expanded' });
  });
});
