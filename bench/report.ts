/**
 * What every benchmark hands back, the final table, and bench/results/latest.json.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The order of the final table and README's (bench/run.ts runs them in this order too, self-contained first). */
export const BENCHMARK_ORDER = [
  'deploy',
  'start-stop-scale',
  'logs',
  'throughput',
  'placement',
  'density',
  'concurrent-deploys',
  'router',
  'wake',
  'scale',
] as const;

/** One line of the final table. */
export interface BenchRow {
  name: string;
  berth: string;
  raw: string;
  /** Berth ÷ raw of the row's main figure; `null` when there is none (e.g. not available). */
  ratio: number | null;
  /** What the ratio divides, when it is not obvious (e.g. "p99", "req/s"). */
  ratioOf?: string;
}

/** A benchmark's outcome: table rows plus every measured number (written to latest.json). */
export interface BenchOutcome {
  name: string;
  method: string;
  rows: BenchRow[];
  details?: unknown;
  /** Set when the benchmark failed; its rows then say so. */
  error?: string;
  durationMs: number;
}

export interface BenchReport {
  runId: string;
  date: string;
  command: string;
  quick: boolean;
  /** `--warm-only`: the deploy benchmark's warm rows alone (not a full run of it). */
  warmOnly?: boolean;
  machine: {
    cpus: number;
    memoryGb: number;
    node: string;
    docker?: string;
    /** 1, 5 and 15-minute load averages when the run ended (and began): other work on the host shows here. */
    load: number[];
    loadAtStart?: number[];
  };
  source?: { commit: string; changedFiles: number };
  settings: Record<string, unknown>;
  durationMs: number;
  benchmarks: BenchOutcome[];
  cleanup?: unknown;
}

export function machineFacts(): BenchReport['machine'] {
  return {
    cpus: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  return ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2);
}

/** The final table as aligned plain text (also valid Markdown). */
export function renderTable(outcomes: readonly BenchOutcome[]): string {
  const header = ['benchmark', 'Berth', 'raw baseline', 'ratio Berth/raw'];
  const rows = outcomes.flatMap((o) =>
    o.rows.map((r) => [
      r.name,
      r.berth,
      r.raw,
      `${formatRatio(r.ratio)}${r.ratioOf ? ` (${r.ratioOf})` : ''}`,
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export async function writeReport(report: BenchReport, file = 'bench/results/latest.json'): Promise<string> {
  const target = path.resolve(file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, `${JSON.stringify(report, null, 2)}\n`);
  return target;
}
