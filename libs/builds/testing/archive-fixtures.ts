/**
 * Builders of hostile and normal archives for tests, all in-process (no zip/tar binaries), plus readers
 * of the normalized output. Not used by production code.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tarStream from 'tar-stream';

export type TarFixtureEntry = Parameters<tarStream.Pack['entry']>[0] & { body?: string | Buffer };

/** A tar (gzipped unless `gzip: false`) of arbitrary headers: any type, any name, any link target. */
export async function tarGz(entries: TarFixtureEntry[], options: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const { body, ...header } of entries) {
    if (body !== undefined) pack.entry(header, body);
    else pack.entry(header);
  }
  pack.finalize();
  const tar = await collect(Readable.from(pack));
  return options.gzip === false ? tar : zlib.gzipSync(tar);
}

/** Plain text files (mode 0644) from a name → content map. */
export function files(contents: Record<string, string>): TarFixtureEntry[] {
  return Object.entries(contents).map(([name, body]) => ({ name, body, mode: 0o644 }));
}

export const PACKAGE_JSON = JSON.stringify({
  name: 'demo',
  version: '1.0.0',
  scripts: { start: 'node index.js' },
});

/** Writes `<file>`: a tar.gz holding package.json and one `size`-byte file of zeros, streamed (a bomb). */
export async function writeTarGzBomb(file: string, size: number): Promise<void> {
  const pack = tarStream.pack();
  pack.entry({ name: 'package.json' }, PACKAGE_JSON);
  const sink = pack.entry({ name: 'zeros.bin', size });
  const writing = pipeline(Readable.from(pack), zlib.createGzip({ level: 9 }), createWriteStream(file));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) {
    if (!sink.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) {
      await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
    }
  }
  sink.end(null);
  pack.finalize();
  await writing;
}

export interface ZipFixtureEntry {
  name: string;
  body?: Buffer | string;
  /** Unix st_mode written into the external attributes (made by Unix); default 0o100644 / 0o040755. */
  unixMode?: number;
  /** Deflate the body (default) or store it. */
  deflate?: boolean;
  /** Already deflated data, for bombs made without holding the expanded bytes. */
  precompressed?: { data: Buffer; crc32: number; size: number };
  /** Lie about the expanded size in both headers. */
  declaredSize?: number;
  /** Set the "encrypted" flag (the body is not actually encrypted). */
  encrypted?: boolean;
}

/** A minimal zip writer (local headers, central directory, end record; UTF-8 names; no zip64). */
export function zip(entries: ZipFixtureEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const raw = Buffer.from(entry.body ?? '');
    const deflate = entry.precompressed !== undefined || entry.deflate !== false;
    const data = entry.precompressed?.data ?? (deflate ? zlib.deflateRawSync(raw) : raw);
    const crc = entry.precompressed?.crc32 ?? zlib.crc32(raw);
    const size = entry.declaredSize ?? entry.precompressed?.size ?? raw.length;
    const mode = entry.unixMode ?? (entry.name.endsWith('/') ? 0o040755 : 0o100644);
    const common = (header: Buffer, at: number) => {
      header.writeUInt16LE(20, at); // version needed
      header.writeUInt16LE(0x0800 | (entry.encrypted ? 1 : 0), at + 2); // UTF-8 names
      header.writeUInt16LE(deflate ? 8 : 0, at + 4);
      header.writeUInt16LE(0, at + 6); // time
      header.writeUInt16LE(0x21, at + 8); // date 1980-01-01
      header.writeUInt32LE(crc >>> 0, at + 10);
      header.writeUInt32LE(data.length, at + 14);
      header.writeUInt32LE(size, at + 18);
      header.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    common(local, 4);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    common(central, 6);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** `size` zero bytes deflated in 1 MiB steps (never held expanded in memory), with their CRC-32. */
export async function deflatedZeros(size: number): Promise<{ data: Buffer; crc32: number; size: number }> {
  const chunk = Buffer.alloc(1024 * 1024);
  let crc = 0;
  async function* zeros() {
    for (let left = size; left > 0; left -= chunk.length) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      crc = zlib.crc32(piece, crc);
      yield piece;
    }
  }
  const data = await collect(Readable.from(zeros()).pipe(zlib.createDeflateRaw({ level: 9 })));
  return { data, crc32: crc, size };
}

/** A temp folder under os.tmpdir(); `cleanup()` removes it and everything written there. */
export async function tempDir(): Promise<{
  dir: string;
  write(name: string, data: Buffer): Promise<string>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-builds-'));
  return {
    dir,
    async write(name, data) {
      const file = path.join(dir, name);
      await writeFile(file, data);
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ListedEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkname?: string;
  body?: string;
}

/** Every entry of a tar or tar.gz stream (sniffed), with text bodies. */
export async function listTar(source: AsyncIterable<Buffer> | Buffer): Promise<ListedEntry[]> {
  let bytes = Buffer.isBuffer(source) ? source : await collect(source);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  const extract = tarStream.extract();
  const listed: ListedEntry[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const body = (await collect(entry as AsyncIterable<Buffer>)).toString('utf8');
      listed.push({
        name: h.name,
        type: h.type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime,
        ...(h.linkname ? { linkname: h.linkname } : {}),
        ...(h.type === 'file' ? { body } : {}),
      });
    }
  })();
  extract.end(bytes);
  await reading;
  return listed;
}

export async function collect(source: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
