import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BenchOutcome, BenchReport } from './report.js';
import {
  README_FILE,
  readRecordedRuns,
  recordedRunFileName,
  RESULTS_DIR,
  renderBenchTable,
  replaceBetweenMarkers,
  TABLE_END,
  TABLE_START,
  type RecordedRun,
} from './results-table.js';

function outcome(name: string, ratio: number, error?: string): BenchOutcome {
  return {
    name,
    method: `${name} method`,
    rows: [{ name: `${name} row`, berth: `${ratio * 10} s`, raw: '10 s', ratio }],
    durationMs: 1,
    ...(error ? { error } : {}),
  };
}

function run(date: string, commit: string, benchmarks: BenchOutcome[], quick = false): RecordedRun {
  const report: BenchReport = {
    runId: `r-${commit}`,
    date,
    command: `npm run bench -- --only ${benchmarks.map((b) => b.name).join(',')}`,
    quick,
    machine: { cpus: 2, memoryGb: 24, node: 'v20', load: [5.5, 4, 3], loadAtStart: [2.25, 2, 1] },
    source: { commit, changedFiles: 0 },
    settings: {},
    durationMs: 1,
    benchmarks,
  };
  return { file: recordedRunFileName(report), report };
}

function warmOnlyRun(recorded: RecordedRun): RecordedRun {
  return { ...recorded, report: { ...recorded.report, warmOnly: true } };
}

describe('bench table', () => {
  it('names recorded runs so they sort by time', () => {
    expect(
      recordedRunFileName({
        date: '2026-12-05T13:04:05.123Z',
        source: { commit: 'abc1234', changedFiles: 0 },
      }),
    ).toBe('2026-12-05T13-04-05Z-abc1234.json');
  });

  it('takes each benchmark from the newest full run that measured it without failing', () => {
    const table = renderBenchTable([
      run('2026-12-01T10:00:00.000Z', 'old', [outcome('throughput', 0.1), outcome('deploy', 1.5)]),
      run('2026-12-02T10:00:00.000Z', 'new', [outcome('throughput', 0.6)]),
      run('2026-12-03T10:00:00.000Z', 'quick', [outcome('throughput', 0.9)], true),
      run('2026-12-04T10:00:00.000Z', 'broken', [outcome('deploy', 9, 'boom')]),
      // --warm-only times the warm rows of deploy alone: never the table's deploy rows.
      warmOnlyRun(run('2026-12-05T10:00:00.000Z', 'warmonly', [outcome('deploy', 0.7)])),
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| benchmark +\| Berth +\| raw baseline \| Berth\/raw \| run \|$/);
    // In BENCHMARK_ORDER whatever order the runs list them; deploy from the old run, throughput from the new.
    expect(lines[2]).toMatch(/^\| deploy row +\| 15 s +\| 10 s +\| 1\.50 +\| 1 +\|$/);
    expect(lines[3]).toMatch(/^\| throughput row \| 6 s +\| 10 s +\| 0\.60 +\| 2 +\|$/);
    expect(table).not.toContain('0.90');
    expect(table).not.toContain('9.00');
    expect(table).not.toContain('0.70');
    expect(table).toContain(
      '2. `bench/results/2026-12-02T10-00-00Z-new.json`: `npm run bench -- --only throughput`, commit new, ' +
        '2 CPUs, load average 2.3 → 5.5.',
    );
    expect(table).toContain('1. `bench/results/2026-12-01T10-00-00Z-old.json`');
  });

  it('says so when no full run is recorded', () => {
    expect(renderBenchTable([])).toMatch(/No full run/);
  });

  it('replaces only the text between the markers', () => {
    const readme = `# A\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nafter\n`;
    expect(replaceBetweenMarkers(readme, 'new table')).toBe(
      `# A\n\n${TABLE_START}\n\nnew table\n\n${TABLE_END}\n\nafter\n`,
    );
    expect(() => replaceBetweenMarkers('# no markers', 'x')).toThrow(/markers/);
  });

  it('README.md holds the table the recorded runs make (run `npm run bench:table` after a recorded run)', async () => {
    const readme = await fs.readFile(README_FILE, 'utf8');
    // The committed runs only: a run made here and not (yet) recorded does not fail the suite.
    const tracked = new Set(
      execFileSync('git', ['ls-files', RESULTS_DIR], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((file) => path.basename(file)),
    );
    const runs = await readRecordedRuns(RESULTS_DIR, tracked);
    expect(replaceBetweenMarkers(readme, renderBenchTable(runs))).toBe(readme);
  });
});
