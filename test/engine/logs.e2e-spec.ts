import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_LINE_BYTES, cutMark, type LogLine } from '../../libs/engine/index.js';
import {
  cleanupTestRun,
  collectLogs,
  ensureRuntimeImage,
  testEngine,
  uniqueId,
  waitFor,
} from '../support/docker.js';
import { startTenantContainer } from './tenant-containers.js';

const engine = testEngine();
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
/**
 * 40,000 bytes: the json-file driver stores it as three partial messages of at most 16 KiB. ASCII on
 * purpose: json-file replaces a UTF-8 character split at a partial-message boundary with U+FFFD when it
 * writes the file (Docker's loss, before any reader), so a multi-byte long line cannot round-trip exactly.
 */
const LONG_LINE = 'abcdefghij'.repeat(4_000);
/** The long line as containerLogs gives it: joined from its records, then cut at 16 KiB with its mark. */
const LONG_LINE_CUT =
  LONG_LINE.slice(0, MAX_LINE_BYTES - Buffer.byteLength(cutMark(MAX_LINE_BYTES))) + cutMark(MAX_LINE_BYTES);
const shown = (text: string) => (text === LONG_LINE_CUT ? '<the long line, cut>' : text.slice(0, 80));

beforeAll(async () => {
  await ensureRuntimeImage(engine);
});

afterAll(async () => {
  await cleanupTestRun(engine);
});

describe('containerLogs on the real engine', () => {
  it('yields demultiplexed lines with stream and timestamp, in order, a long line cut at 16 KiB', async () => {
    // Pauses between writes keep the order across stdout and stderr unambiguous for the log driver.
    const id = await startTenantContainer(engine, {
      tenantId: uniqueId('logs'),
      cmd: [
        'node',
        '-e',
        `const steps = [
           () => process.stdout.write('line 1\\n'),
           () => process.stderr.write('error 1\\n'),
           () => process.stdout.write('line 2\\nline 3\\n'),
           () => process.stdout.write(${JSON.stringify(LONG_LINE)} + '\\n'),
           () => process.stderr.write('error 2 no newline'),
         ];
         steps.forEach((step, i) => setTimeout(step, i * 30));`,
      ],
    });
    expect((await engine.waitContainer({ id })).exitCode).toBe(0);

    const lines = await collectLogs(engine, id);
    expect(lines.map(({ stream, text }) => [stream, shown(text)])).toEqual([
      ['stdout', 'line 1'],
      ['stderr', 'error 1'],
      ['stdout', 'line 2'],
      ['stdout', 'line 3'],
      ['stdout', '<the long line, cut>'],
      ['stderr', 'error 2 no newline'],
    ]);
    for (const line of lines) expect(line.timestamp).toMatch(RFC3339_NANO);
    const stamps = lines.map((line) => line.timestamp);
    expect([...stamps].sort()).toEqual(stamps);

    const tail: LogLine[] = [];
    for await (const line of engine.containerLogs({ id, follow: false, tail: 1 })) tail.push(line);
    expect(tail.map((line) => shown(line.text))).toEqual(['error 2 no newline']);
    // tail counts the driver's records: the long line is three, so tail 2 starts inside it.
    const tailTwo: LogLine[] = [];
    for await (const line of engine.containerLogs({ id, follow: false, tail: 2 })) tailTwo.push(line);
    expect(LONG_LINE.endsWith(tailTwo[0]!.text)).toBe(true);
    expect(tailTwo[0]!.text.length).toBeLessThan(LONG_LINE.length);

    const future: LogLine[] = [];
    const since = new Date(Date.now() + 60_000);
    for await (const line of engine.containerLogs({ id, follow: false, since })) future.push(line);
    expect(future).toEqual([]);
  });

  it('follows a running container, sees a line printed later, and stops at once on abort', async () => {
    const id = await startTenantContainer(engine, {
      tenantId: uniqueId('follow'),
      cmd: [
        'node',
        '-e',
        `console.log('first');
         setTimeout(() => console.log('later'), 1500);
         setInterval(() => {}, 1000);`,
      ],
    });
    const abort = new AbortController();
    const seen: string[] = [];
    let startedFollowing = 0;
    const following = (async () => {
      for await (const line of engine.containerLogs({ id, follow: true, signal: abort.signal })) {
        if (seen.length === 0) startedFollowing = Date.now();
        seen.push(line.text);
      }
    })();
    await waitFor('the later line', async () => seen.includes('later'), { timeoutMs: 10_000 });
    expect(seen).toEqual(['first', 'later']);
    expect(Date.now() - startedFollowing).toBeGreaterThan(500); // it really waited for the second line

    const aborted = Date.now();
    abort.abort();
    await following; // ends without an error
    expect(Date.now() - aborted).toBeLessThan(1000);
    expect((await engine.inspectContainer({ id }))?.running).toBe(true);
    await engine.killContainer({ id });
  });

  it('ends a follow by itself when the container exits', async () => {
    const id = await startTenantContainer(engine, {
      tenantId: uniqueId('exit'),
      cmd: ['node', '-e', `console.log('bye'); setTimeout(() => process.exit(3), 300)`],
    });
    const seen: string[] = [];
    for await (const line of engine.containerLogs({ id, follow: true })) seen.push(line.text);
    expect(seen).toEqual(['bye']);
    expect((await engine.inspectContainer({ id }))?.exitCode).toBe(3);
  });

  it('gives every line of containers that print a burst and exit at once, the last ones included', async () => {
    // Docker 20.10 may end a follow before it gave the last messages; the engine reads the tail again.
    const script = `setTimeout(() => { for (let i = 0; i < 3000; i++) console.log('line ' + i); console.log('last words'); process.exit(0); }, 300)`;
    const ids = await Promise.all(
      Array.from({ length: 8 }, () =>
        startTenantContainer(engine, { tenantId: uniqueId('burst'), cmd: ['node', '-e', script] }),
      ),
    );
    const followed = await Promise.all(
      ids.map(async (id) => {
        const texts: string[] = [];
        for await (const line of engine.containerLogs({ id, follow: true })) texts.push(line.text);
        return texts;
      }),
    );
    for (const texts of followed) {
      expect(texts).toHaveLength(3001);
      expect(new Set(texts).size).toBe(3001);
      expect(texts.at(-1)).toBe('last words');
    }
  });

  it('rejects with a 404 EngineError for a container that does not exist', async () => {
    const iterate = async () => {
      for await (const _line of engine.containerLogs({ id: 'berth-no-such-container', follow: false }));
    };
    await expect(iterate()).rejects.toMatchObject({ name: 'EngineError', statusCode: 404 });
  });
});
