import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type Docker from 'dockerode';
import { MAX_LINE_BYTES, cutMark } from './bounded-lines.js';
import { dockerBuildImage } from './docker-images.js';

const MiB = 1024 * 1024;

/** A daemon whose build answers with `messages` as JSON lines, as the Engine API does. */
function daemonAnswering(messages: () => Generator<object>): Docker {
  const answer = () =>
    Readable.from(
      (function* () {
        for (const message of messages()) yield Buffer.from(JSON.stringify(message) + '\r\n');
      })(),
    );
  return { buildImage: async () => answer() } as unknown as Docker;
}

const buildOptions = { context: Readable.from([]), tag: 't:1', labels: {}, memoryMb: 256, cpuMillis: 500 };

describe('build output under a no-newline flood from a preinstall script', () => {
  it('logs one cut line for 200 MiB without a newline, and the lines after it', async () => {
    const piece = 'x'.repeat(32 * 1024);
    const docker = daemonAnswering(function* () {
      yield { stream: 'Step 1/2 : RUN npm ci\n' };
      for (let sent = 0; sent < 200 * MiB; sent += piece.length) yield { stream: piece };
      yield { stream: '\nadded 0 packages\n' };
      yield { aux: { ID: 'sha256:abc' } };
    });
    const lines: string[] = [];
    const { imageId } = await dockerBuildImage(
      docker,
      {},
      { ...buildOptions, onLog: (line) => lines.push(line) },
    );
    expect(imageId).toBe('sha256:abc');
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([21, MAX_LINE_BYTES, 16]);
    expect(lines[1].endsWith(cutMark(MAX_LINE_BYTES))).toBe(true);
    expect(lines[2]).toBe('added 0 packages');
  });

  it('strips colour codes and carriage returns and keeps a last line without a newline', async () => {
    const docker = daemonAnswering(function* () {
      yield { stream: '\x1b[91mnpm warn\x1b[0m\r\n' };
      yield { status: 'done' };
      yield { stream: 'tail' };
      yield { aux: { ID: 'sha256:def' } };
    });
    const lines: string[] = [];
    await dockerBuildImage(docker, {}, { ...buildOptions, onLog: (line) => lines.push(line) });
    expect(lines).toEqual(['npm warn', 'done', 'tail']);
  });
});
