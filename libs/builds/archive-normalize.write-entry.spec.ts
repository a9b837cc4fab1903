import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { WHOLE_BODY_MAX_BYTES, writeEntry } from './archive-normalize.js';

type Body = AsyncIterable<Buffer> | Iterable<Buffer> | null;

/** The tar bytes of entries written with writeEntry, and each entry's name and body read back. */
async function packed(
  entries: { name: string; type?: 'file' | 'directory'; size?: number; body: Body }[],
): Promise<{ bytes: Buffer; read: Map<string, Buffer> }> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const entry of entries) {
    await writeEntry(
      pack,
      { name: entry.name, type: entry.type ?? 'file', size: entry.size, mtime: new Date(0) },
      entry.body,
    );
  }
  pack.finalize();
  await collected;
  const bytes = Buffer.concat(chunks);
  const read = new Map<string, Buffer>();
  const extract = tarStream.extract();
  Readable.from([bytes]).pipe(extract);
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) parts.push(chunk);
    read.set(entry.header.name, Buffer.concat(parts));
  }
  return { bytes, read };
}

async function* chunksOf(body: Buffer, size: number): AsyncIterable<Buffer> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

describe('writeEntry', () => {
  const small = Buffer.from('module.exports = 42;\n');
  const large = Buffer.alloc(WHOLE_BODY_MAX_BYTES + 1000, 7);

  it('writes small bodies whole and large ones streamed, the same entries either way', async () => {
    const { read } = await packed([
      { name: 'node_modules/', type: 'directory', body: null },
      { name: 'node_modules/small.js', size: small.length, body: chunksOf(small, 5) },
      { name: 'node_modules/empty.js', size: 0, body: [] },
      { name: 'node_modules/large.bin', size: large.length, body: chunksOf(large, 64 * 1024) },
    ]);
    expect([...read.keys()]).toEqual([
      'node_modules/',
      'node_modules/small.js',
      'node_modules/empty.js',
      'node_modules/large.bin',
    ]);
    expect(read.get('node_modules/small.js')).toEqual(small);
    expect(read.get('node_modules/empty.js')).toEqual(Buffer.alloc(0));
    expect(read.get('node_modules/large.bin')!.equals(large)).toBe(true);
  });

  it('rejects a small body longer or shorter than its declared size', async () => {
    await expect(packed([{ name: 'long.js', size: 3, body: chunksOf(small, 2) }])).rejects.toThrow(
      'Size mismatch',
    );
    await expect(packed([{ name: 'short.js', size: 100, body: [small] }])).rejects.toThrow('Size mismatch');
  });
});
