/** A frame of Docker's log stream is one log message (at most 16 KiB of text and its timestamp). */
export const MAX_FRAME_BYTES = 1024 * 1024;

const HEADER_BYTES = 8;

export class FrameTooLargeError extends Error {
  constructor(bytes: number) {
    super(`a frame of the Engine's multiplexed stream announced ${bytes} bytes (at most ${MAX_FRAME_BYTES})`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Docker's multiplexed stream (logs and attach without a TTY): frames of an 8-byte header (stream type, three
 * zero bytes, the payload's length big-endian) and the payload. Each payload is handed to `onFrame` whole,
 * as a view of the chunk when the chunk holds it, else copied once into a buffer of its size. docker-modem's
 * demuxStream, used before, joins every chunk onto what is left and copies the rest of its buffer twice per
 * frame: a 64 KiB read of a thousand small log frames cost tens of MB of copying. As there, stream type 1 is
 * stdout and 0 or 2 stderr, and a header with another type means the stream is not multiplexed: everything
 * from there on goes to stdout as it comes. A payload is at most MAX_FRAME_BYTES, else `push` throws
 * FrameTooLargeError (memory held here is bounded).
 */
export class DockerFrameDemuxer {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private payload: Buffer | undefined;
  private payloadBytes = 0;
  private stream: 'stdout' | 'stderr' = 'stdout';
  private raw = false;

  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    if (this.raw) {
      if (chunk.length > 0) this.onFrame('stdout', chunk);
      return;
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.payload) {
        const copied = chunk.copy(this.payload, this.payloadBytes, at);
        this.payloadBytes += copied;
        at += copied;
        if (this.payloadBytes < this.payload.length) return;
        const payload = this.payload;
        this.payload = undefined;
        this.onFrame(this.stream, payload);
        continue;
      }
      // The header: read in place when the chunk holds all of it, else gathered across chunks.
      let header: Buffer;
      let headerAt: number;
      if (this.headerBytes === 0 && chunk.length - at >= HEADER_BYTES) {
        header = chunk;
        headerAt = at;
        at += HEADER_BYTES;
      } else {
        const copied = chunk.copy(this.header, this.headerBytes, at, at + HEADER_BYTES - this.headerBytes);
        this.headerBytes += copied;
        at += copied;
        if (this.headerBytes < HEADER_BYTES) return;
        this.headerBytes = 0;
        header = this.header;
        headerAt = 0;
      }
      const type = header[headerAt];
      if (type > 2) {
        this.raw = true;
        this.onFrame(
          'stdout',
          Buffer.concat([header.subarray(headerAt, headerAt + HEADER_BYTES), chunk.subarray(at)]),
        );
        return;
      }
      this.stream = type === 1 ? 'stdout' : 'stderr';
      const length = header.readUInt32BE(headerAt + 4);
      if (length > MAX_FRAME_BYTES) throw new FrameTooLargeError(length);
      if (chunk.length - at >= length) {
        this.onFrame(this.stream, chunk.subarray(at, at + length));
        at += length;
      } else {
        this.payload = Buffer.allocUnsafe(length);
        this.payloadBytes = 0;
      }
    }
  }
}
