/**
 * The log archive's parameters for one batch of 1,000 lines, as its statement sends them
 * (`archiveLineParameters` of libs/logs: array literals, the texts as one bytea), against
 * pg's own encoding of the same columns as JS arrays (a bytea[] for the texts), the way it sent them before.
 * Both end as the bytes pg writes to the socket; the time is CPU in this process, measured back to back.
 *
 *   npm run build && node dist/bench/archive-encoding.js
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { archiveLineParameters } from '../libs/logs/index.js';

const require = createRequire(import.meta.url);
// pg's own conversion of a parameter (arrays to literals), what it applies to every value it sends.
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue(value: unknown): string | Buffer };

const LINES = 1_000;
const appId = crypto.randomUUID();
const replica = crypto.randomUUID();
const containerId = crypto.randomBytes(32).toString('hex');
const lines = Array.from({ length: LINES }, (_, i) => ({
  appId,
  replica,
  containerId,
  stream: 'stdout' as const,
  timestamp: `2026-12-06T06:47:00.${String(123_456_789 + i).padStart(9, '0')}Z`,
  ordinal: 0,
  text: `flood berthburst1 ${i} 1765003620123.456`,
}));

const sentBytes = (values: unknown[]): number =>
  values.reduce<number>((total, value) => {
    const prepared = prepareValue(value);
    return total + (Buffer.isBuffer(prepared) ? prepared.length : Buffer.byteLength(prepared));
  }, 0);

function pgArrays(): number {
  return sentBytes([
    lines.map((l) => l.appId),
    lines.map((l) => l.replica),
    lines.map((l) => l.containerId),
    lines.map((l) => l.stream),
    lines.map((l) => l.timestamp),
    lines.map((l) => l.ordinal),
    lines.map((l) => Buffer.from(l.text, 'utf8')),
  ]);
}

function archiveLiterals(): number {
  const { columns, texts } = archiveLineParameters(lines);
  return sentBytes([...columns, texts]);
}

function msPerBatch(encode: () => number, batches: number): { ms: number; bytes: number } {
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < batches; i++) bytes = encode();
  return { ms: (performance.now() - started) / batches, bytes };
}

for (const encode of [pgArrays, archiveLiterals]) msPerBatch(encode, 100); // warm-up
const figures = { pg: [] as number[], archive: [] as number[] };
let bytes = { pg: 0, archive: 0 };
for (let round = 0; round < 5; round++) {
  const pg = msPerBatch(pgArrays, 200);
  const archive = msPerBatch(archiveLiterals, 200);
  figures.pg.push(pg.ms);
  figures.archive.push(archive.ms);
  bytes = { pg: pg.bytes, archive: archive.bytes };
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const [pg, archive] = [median(figures.pg), median(figures.archive)];
process.stdout.write(
  `archive parameters for ${LINES} lines (median of 5 rounds of 200 batches):\n` +
    `  pg's arrays (bytea[] texts): ${pg.toFixed(3)} ms, ${bytes.pg.toLocaleString('en-US')} bytes\n` +
    `  array literals + one bytea:  ${archive.toFixed(3)} ms, ${bytes.archive.toLocaleString('en-US')} bytes\n` +
    `  ratio (archive ÷ pg): ${(archive / pg).toFixed(2)} of the time, ${(bytes.archive / bytes.pg).toFixed(2)} of the bytes\n`,
);
