import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type Docker from 'dockerode';
import { MAX_LINE_BYTES, cutMark } from './bounded-lines.js';
import { dockerExec } from './docker-exec.js';

/** A container whose exec writes `stdout` chunks (already demultiplexed) and exits 0. */
function containerWriting(stdout: () => Generator<Buffer>): Docker {
  const stream = new PassThrough();
  const exec = {
    start: async () => {
      setImmediate(() => {
        for (const chunk of stdout()) stream.write(chunk);
        stream.end();
      });
      return stream;
    },
    inspect: async () => ({ Running: false, ExitCode: 0 }),
  };
  return {
    getContainer: () => ({ exec: async () => exec }),
    modem: {
      demuxStream: (source: PassThrough, out: NodeJS.WritableStream) =>
        source.on('data', (chunk: Buffer) => out.write(chunk)),
    },
  } as unknown as Docker;
}

describe('exec output under a no-newline flood', () => {
  it('keeps one cut line for 64 MiB without a newline and marks the result truncated', async () => {
    const docker = containerWriting(function* () {
      yield Buffer.from('first\n');
      for (let i = 0; i < 1024; i++) yield Buffer.alloc(64 * 1024, 'x');
      yield Buffer.from('\nlast');
    });
    const result = await dockerExec(docker, { id: 'c', cmd: ['flood'] });
    const lines = result.stdout.split('\n');
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([5, MAX_LINE_BYTES, 4]);
    expect(lines[1].endsWith(cutMark(MAX_LINE_BYTES))).toBe(true);
    expect(result.truncated).toBe(true);
  });

  it('keeps whole lines up to maxOutputBytes and never half a character', async () => {
    const docker = containerWriting(function* () {
      for (let i = 0; i < 100; i++) yield Buffer.from('€€€€€€€€€\n');
    });
    const result = await dockerExec(docker, { id: 'c', cmd: ['euros'], maxOutputBytes: 100 });
    expect(result.stdout).toBe('€€€€€€€€€\n'.repeat(3));
    expect(result.truncated).toBe(true);
  });

  it('gives small output back as it was written', async () => {
    const docker = containerWriting(function* () {
      yield Buffer.from('a\nb');
    });
    expect(await dockerExec(docker, { id: 'c', cmd: ['ab'] })).toEqual({
      exitCode: 0,
      stdout: 'a\nb',
      stderr: '',
      truncated: false,
    });
  });

  it('streams lines to onLine as they come, cut at 16 KiB, and keeps nothing', async () => {
    const docker = containerWriting(function* () {
      yield Buffer.from('npm notice\r\nstart');
      for (let i = 0; i < 256; i++) yield Buffer.alloc(64 * 1024, 'x');
      yield Buffer.from('\nend');
    });
    const seen: { stream: string; text: string }[] = [];
    const result = await dockerExec(docker, { id: 'c', cmd: ['npm'], onLine: (line) => seen.push(line) });
    expect(seen.map((line) => [line.stream, Buffer.byteLength(line.text)])).toEqual([
      ['stdout', 10],
      ['stdout', MAX_LINE_BYTES],
      ['stdout', 3],
    ]);
    expect(seen[0]!.text).toBe('npm notice');
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '', truncated: false });
  });
});
