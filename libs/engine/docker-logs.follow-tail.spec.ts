import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type Docker from 'dockerode';
import Modem from 'docker-modem';
import type { LogLine } from './container-engine.js';
import { dockerContainerLogBatches, dockerContainerLogs } from './docker-logs.js';
import { timestampNanos } from './follow-resume.js';

type Record_ = [LogLine['stream'], string, string]; // stream, timestamp, text as written (with "\n" or not)

/** One frame of Docker's multiplexed stream. */
function frame([stream, timestamp, text]: Record_): Buffer {
  const payload = Buffer.from(`${timestamp} ${text}`);
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * A Docker whose log answers come from `log` (the container's whole json-file): the follow answer
 * stops after `followSees` records (the container stopped before the follower read the rest, as Docker
 * 20.10 may do), a read without follow gives every record at or after `since`. Queries are kept.
 */
function fakeDocker(
  log: Record_[],
  followSees: number,
  missing = false,
): { docker: Docker; queries: Record<string, unknown>[] } {
  const queries: Record<string, unknown>[] = [];
  const modem = {
    demuxStream: Modem.prototype.demuxStream,
    dial(
      request: { options: Record<string, unknown> },
      callback: (error: unknown, result?: unknown) => void,
    ) {
      queries.push(request.options);
      if (!request.options.follow && missing) {
        callback(Object.assign(new Error('no such container'), { statusCode: 404 }));
        return;
      }
      const since = request.options.since === undefined ? undefined : String(request.options.since);
      const sinceNanos = since === undefined ? -1n : BigInt(since.replace('.', ''));
      const records = request.options.follow
        ? log.slice(0, followSees)
        : log.filter(([, timestamp]) => timestampNanos(timestamp)! >= sinceNanos);
      const response = new PassThrough();
      callback(null, response);
      // Frames cut at odd places, as the HTTP layer may deliver them.
      const bytes = Buffer.concat(records.map(frame));
      for (let at = 0; at < bytes.length; at += 7) response.write(bytes.subarray(at, at + 7));
      response.end();
    },
  };
  return { docker: { modem } as unknown as Docker, queries };
}

async function follow(docker: Docker): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of dockerContainerLogs(docker, { id: 'c1', follow: true })) {
    lines.push(`${line.stream} ${line.text}`);
  }
  return lines;
}

const ts = (n: number) => `2026-12-05T16:00:0${Math.floor(n / 10)}.${String(n % 10).padStart(9, '0')}Z`;

describe("a follow that ends before it read the container's last messages", () => {
  const log: Record_[] = [
    ['stdout', ts(1), 'one\n'],
    ['stderr', ts(2), 'two\n'],
    ['stdout', ts(3), 'three, begun '],
    ['stderr', ts(4), 'meanwhile\n'],
    ['stdout', ts(5), 'and ended\n'],
    ['stdout', ts(6), 'a long line, '],
    ['stdout', ts(7), 'in three '],
    ['stdout', ts(8), 'messages\n'],
    ['stderr', ts(9), 'last words\n'],
  ];

  it('reads the tail again and gives every line once, in order', async () => {
    for (let sees = 0; sees <= log.length; sees += 1) {
      const { docker, queries } = fakeDocker(log, sees);
      expect(await follow(docker)).toEqual([
        'stdout one',
        'stderr two',
        'stderr meanwhile',
        'stdout three, begun and ended',
        'stdout a long line, in three messages',
        'stderr last words',
      ]);
      expect(queries.map((query) => query.follow)).toEqual([true, false]);
    }
  });

  it('reads on from the first message of an unfinished line, not from the last line given', async () => {
    const { docker, queries } = fakeDocker(log, 4);
    await follow(docker);
    expect(queries[1]!.since).toBe(`${timestampNanos(ts(3))! / 1_000_000_000n}.000000003`);
  });

  it('ends quietly when the container was removed before its tail was read', async () => {
    const { docker } = fakeDocker(log, 2, true);
    expect(await follow(docker)).toEqual(['stdout one', 'stderr two']);
  });
});

describe('a follow that ends inside a line it already cut', () => {
  // 16 KiB messages of a line with no newline (as json-file splits it), then its end, then one more line.
  const long = 'x'.repeat(16 * 1024);
  const log: Record_[] = [
    ['stdout', ts(1), 'before\n'],
    ['stdout', ts(2), long],
    ['stdout', ts(3), long],
    ['stdout', ts(4), long],
    ['stdout', ts(5), 'tail of the long line\n'],
    ['stdout', ts(6), 'end\n'],
  ];

  it('gives the cut line once and drops its end, wherever the follow stopped', async () => {
    for (let sees = 0; sees <= log.length; sees += 1) {
      const { docker } = fakeDocker(log, sees);
      const lines = await follow(docker);
      expect(lines.map((line) => (line.includes('[truncated') ? 'stdout <cut line>' : line))).toEqual([
        'stdout before',
        'stdout <cut line>',
        'stdout end',
      ]);
    }
  });
});

describe('dockerContainerLogBatches', () => {
  it('gives the lines of one read of the answer as one batch, every line once, in order', async () => {
    const many: Record_[] = Array.from({ length: 50 }, (_, i) => ['stdout', ts(i + 1), `line ${i}\n`]);
    const bytes = Buffer.concat(many.map(frame));
    const modem = {
      demuxStream: Modem.prototype.demuxStream,
      dial(_request: unknown, callback: (error: unknown, result?: unknown) => void) {
        const response = new PassThrough();
        callback(null, response);
        // Two reads: the first ends inside the 31st frame.
        const cut = Buffer.concat(many.slice(0, 30).map(frame)).length + 5;
        response.write(bytes.subarray(0, cut));
        setImmediate(() => response.end(bytes.subarray(cut)));
      },
    };
    const docker = { modem } as unknown as Docker;
    const batches: string[][] = [];
    for await (const batch of dockerContainerLogBatches(docker, { id: 'c1', follow: false })) {
      batches.push(batch.map((line) => line.text));
    }
    expect(batches.map((batch) => batch.length)).toEqual([30, 20]);
    expect(batches.flat()).toEqual(many.map(([, , text]) => text.slice(0, -1)));
  });
});
