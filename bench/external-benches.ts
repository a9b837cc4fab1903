/**
 * The benchmarks that bring their own setup and are called as they are: placement (pure, in this
 * process) and log streaming (bench/logs.ts, written separately; loaded only if it was built).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runPlacementBench } from './placement.js';
import { formatRate, now } from './probes.js';
import type { BenchOutcome, BenchRow } from './report.js';

export const PLACEMENT_METHOD =
  'placeReplicas for 1,000 hosts × 1,000 apps × 10 replicas (quick: 100 × 100 × 10), median of 7 rounds, ' +
  'against a round-robin loop without rules (bench/placement.ts)';

export const LOGS_METHOD =
  "bench/logs.ts's runLogsBench: log lines through Berth's WebSocket stream against the Engine's own log " +
  'stream (its method is in bench/README.md, "Log streaming")';

export async function runPlacement(quick: boolean): Promise<BenchOutcome> {
  const started = now();
  const result = await runPlacementBench({ quick });
  return {
    name: 'placement',
    method: PLACEMENT_METHOD,
    rows: [
      {
        name: `placement (${result.hosts} hosts, ${result.placements} replicas)`,
        berth: formatRate(result.placementsPerSecond, 'placements/s'),
        raw: formatRate(result.baselinePerSecond, 'placements/s'),
        ratio: result.ratio,
      },
    ],
    details: result,
    durationMs: now() - started,
  };
}

/** Where bench/logs.ts lands after `npm run build`: next to this file. */
const LOGS_MODULE = new URL('./logs.js', import.meta.url);

export function logsBenchAvailable(): boolean {
  return fs.existsSync(fileURLToPath(LOGS_MODULE));
}

/** Runs runLogsBench({ quick }) when dist/bench/logs.js exists; otherwise a "not available" row. */
export async function runLogs(quick: boolean): Promise<BenchOutcome> {
  const started = now();
  if (!logsBenchAvailable()) {
    return {
      name: 'logs',
      method: LOGS_METHOD,
      rows: [notAvailable('dist/bench/logs.js does not exist')],
      details: { available: false },
      durationMs: now() - started,
    };
  }
  const module = (await import(LOGS_MODULE.href)) as {
    runLogsBench?: (options: { quick: boolean }) => unknown;
  };
  if (typeof module.runLogsBench !== 'function') {
    return {
      name: 'logs',
      method: LOGS_METHOD,
      rows: [notAvailable('bench/logs.ts exports no runLogsBench')],
      details: { available: false },
      durationMs: now() - started,
    };
  }
  const result = await module.runLogsBench({ quick });
  return {
    name: 'logs',
    method: LOGS_METHOD,
    rows: logsRows(result),
    details: result,
    durationMs: now() - started,
  };
}

function notAvailable(why: string): BenchRow {
  return { name: 'log streaming', berth: `not available (${why})`, raw: 'not available', ratio: null };
}

/**
 * Table rows from whatever runLogsBench returns. Its result is not typed here (another file owns it), so:
 * `rows` (BenchRow-shaped) are used as they are; else `ratio` plus the first numeric field of each side
 * by the naming placement.ts uses (`…PerSecond` for Berth, `baseline…` / `raw…` for the baseline).
 */
export function logsRows(result: unknown): BenchRow[] {
  if (typeof result !== 'object' || result === null) {
    return [{ name: 'log streaming', berth: String(result), raw: '–', ratio: null }];
  }
  const record = result as Record<string, unknown>;
  if (Array.isArray(record.rows) && record.rows.every(isRow)) return record.rows as BenchRow[];
  const numeric = Object.entries(record).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number',
  );
  const isBaseline = (key: string) => /^(baseline|raw)/i.test(key) || /(Baseline|Raw)/.test(key);
  const berth = numeric.find(([key]) => key !== 'ratio' && !isBaseline(key) && /PerSecond$/.test(key));
  const baseline = numeric.find(([key]) => isBaseline(key) && /PerSecond$/.test(key));
  const show = (entry: [string, number] | undefined) =>
    entry ? `${formatRate(entry[1], '/s')} (${entry[0]})` : 'see latest.json';
  return [
    {
      name: typeof record.name === 'string' ? `log streaming (${record.name})` : 'log streaming',
      berth: show(berth),
      raw: show(baseline),
      ratio: typeof record.ratio === 'number' ? record.ratio : null,
    },
  ];
}

function isRow(value: unknown): value is BenchRow {
  const row = value as BenchRow;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof row.name === 'string' &&
    typeof row.berth === 'string' &&
    typeof row.raw === 'string'
  );
}
