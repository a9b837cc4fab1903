/**
 * `npm run bench:table`: rewrites the performance table in README.md (between the bench-table markers)
 * from the recorded runs in bench/results/. Each benchmark's rows come from the newest full (not
 * --quick) run that measured it, so a run of `--only throughput` replaces the throughput rows alone.
 * The table is never typed by hand; bench/results-table.spec.ts checks README.md matches the files.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCHMARK_ORDER, formatRatio, type BenchReport } from './report.js';

export const RESULTS_DIR = 'bench/results';
export const README_FILE = 'README.md';
export const TABLE_START = '<!-- bench-table:start -->';
export const TABLE_END = '<!-- bench-table:end -->';

/** A recorded run as read back: the file it came from and its report. */
export interface RecordedRun {
  file: string;
  report: BenchReport;
}

/** Recorded runs' file names sort by time: `<ISO date with - for :>-<commit>.json`. */
export function recordedRunFileName(report: Pick<BenchReport, 'date' | 'source'>): string {
  const stamp = report.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${report.source?.commit ?? 'unknown'}.json`;
}

const RECORDED_RUN = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[\w]+\.json$/;

/** The recorded runs in `dir`; `only`, when given, keeps those names (e.g. the files git tracks). */
export async function readRecordedRuns(
  dir = RESULTS_DIR,
  only?: ReadonlySet<string>,
): Promise<RecordedRun[]> {
  const names = (await fs.readdir(dir))
    .filter((name) => RECORDED_RUN.test(name) && (!only || only.has(name)))
    .sort();
  return Promise.all(
    names.map(async (file) => ({
      file,
      report: JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as BenchReport,
    })),
  );
}

function formatLoad(report: BenchReport): string {
  const oneMinute = (load: number[] | undefined) => (load ? load[0].toFixed(1) : '?');
  return `${oneMinute(report.machine.loadAtStart)} → ${oneMinute(report.machine.load)}`;
}

/**
 * The Markdown table: for each benchmark, the rows of the newest full run that measured it without
 * failing, plus the run it came from (file, commit, load average at start → end).
 */
export function renderBenchTable(runs: readonly RecordedRun[]): string {
  const newestFirst = [...runs]
    .sort((a, b) => b.file.localeCompare(a.file))
    .filter((r) => !r.report.quick && !r.report.warmOnly);
  const order: string[] = [];
  const chosen = new Map<string, RecordedRun>();
  for (const run of newestFirst) {
    for (const outcome of run.report.benchmarks) {
      if (outcome.error || chosen.has(outcome.name)) continue;
      chosen.set(outcome.name, run);
      order.push(outcome.name);
    }
  }
  const rank = (name: string) => {
    const index = (BENCHMARK_ORDER as readonly string[]).indexOf(name);
    return index === -1 ? BENCHMARK_ORDER.length : index;
  };
  order.sort((a, b) => rank(a) - rank(b));

  const runIndex = new Map<string, number>();
  for (const name of order) {
    const file = chosen.get(name)!.file;
    if (!runIndex.has(file)) runIndex.set(file, runIndex.size + 1);
  }
  const header = ['benchmark', 'Berth', 'raw baseline', 'Berth/raw', 'run'];
  const rows = order.flatMap((name) => {
    const run = chosen.get(name)!;
    const outcome = run.report.benchmarks.find((b) => b.name === name)!;
    return outcome.rows.map((r) => [
      r.name,
      r.berth,
      r.raw,
      `${formatRatio(r.ratio)}${r.ratioOf ? ` (${r.ratioOf})` : ''}`,
      `${runIndex.get(run.file)}`,
    ]);
  });
  if (rows.length === 0) return '_No full run recorded in bench/results/ yet._';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const table = [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)];
  const sources = [...runIndex].map(([file, index]) => {
    const { report } = runs.find((r) => r.file === file)!;
    const dirty = report.source?.changedFiles ? ` + ${report.source.changedFiles} changed files` : '';
    return (
      `${index}. \`bench/results/${file}\`: \`${report.command}\`, commit ` +
      `${report.source?.commit ?? '?'}${dirty}, ${report.machine.cpus} CPUs, load average ${formatLoad(report)}.`
    );
  });
  return [...table, '', ...sources].join('\n');
}

/** README text with the part between the markers replaced by `table`. */
export function replaceBetweenMarkers(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`${README_FILE} lacks the ${TABLE_START} … ${TABLE_END} markers`);
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}

export async function updateReadmeTable(dir = RESULTS_DIR, readmeFile = README_FILE): Promise<boolean> {
  const readme = await fs.readFile(readmeFile, 'utf8');
  const updated = replaceBetweenMarkers(readme, renderBenchTable(await readRecordedRuns(dir)));
  if (updated === readme) return false;
  await fs.writeFile(readmeFile, updated);
  return true;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  updateReadmeTable().then(
    (changed) => process.stdout.write(`${README_FILE}: ${changed ? 'table updated' : 'unchanged'}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
