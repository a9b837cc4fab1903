import { describe, expect, it } from '@jest/globals';
import { DockerFrameDemuxer, FrameTooLargeError, MAX_FRAME_BYTES } from './docker-frames.js';

function frame(type: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function demux(chunks: Buffer[]): string[] {
  const got: string[] = [];
  const demuxer = new DockerFrameDemuxer((stream, payload) => got.push(`${stream}:${payload.toString()}`));
  for (const chunk of chunks) demuxer.push(chunk);
  return got;
}

const frames = [
  frame(1, 'one\n'),
  frame(2, 'two, on stderr\n'),
  frame(1, ''),
  frame(0, 'stdin?'),
  frame(1, 'é, last'),
];
const expected = ['stdout:one\n', 'stderr:two, on stderr\n', 'stdout:', 'stderr:stdin?', 'stdout:é, last'];

describe('DockerFrameDemuxer', () => {
  it('gives every frame whole and in order, wherever the chunks are cut', () => {
    const bytes = Buffer.concat(frames);
    expect(demux([bytes])).toEqual(expected);
    for (let size = 1; size <= bytes.length; size++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      expect(demux(chunks)).toEqual(expected);
    }
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(demux([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    }
  });

  it('passes a stream that is not multiplexed (another stream type) to stdout as it comes', () => {
    const plain = Buffer.from('plain text from a TTY\nand more');
    expect(demux([frame(1, 'framed'), plain.subarray(0, 10), plain.subarray(10)])).toEqual([
      'stdout:framed',
      `stdout:${plain.subarray(0, 10).toString()}`,
      `stdout:${plain.subarray(10).toString()}`,
    ]);
  });

  it('refuses a frame longer than MAX_FRAME_BYTES before holding any of it', () => {
    const header = Buffer.alloc(8);
    header[0] = 1;
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 4);
    expect(() => demux([header])).toThrow(FrameTooLargeError);
  });
});
