/**
 * Summarizes a CPU profile of the Berth child under the logs bench (bench/berth-child-probe.cjs):
 *
 *   node bench/profile-summary.mjs <berth-PID.cpuprofile> [lines streamed] [long task ms] [berth-PID.json]
 *
 * Only the 100 ms windows with more than 20 ms in the log path (engine follow, hub, feed, WebSocket) are
 * counted, so Berth's start and the bench's pauses are left out. Prints the busy time (sampled, not idle;
 * on a loaded machine it includes time the process waited for a CPU), the frames with the most self time,
 * per line when `lines` is given, the frames with the most inclusive time, and the tasks (runs of busy
 * samples) longer than `long task ms` (default 5), grouped by the code that took most of each. Given the
 * probe's berth-PID.json, it also lists the tasks of 1 ms or more that ran in the paced rounds' windows.
 */
import fs from 'node:fs';

const [file, linesArg, longArg, probeFile] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const lines = Number(linesArg ?? 0);
const longMs = Number(longArg ?? 5);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const frameName = (id) => {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  return `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
};
const stackOf = (id) => {
  const stack = [];
  for (let at = id; at !== undefined; at = parent.get(at)) stack.push(at);
  return stack;
};
const LOG_PATH =
  /docker-logs|docker-frames|log-lines|bounded-lines|log-fanout|log-ring|log-subscriber|live-log-feed|log-stream|follow-|demuxStream|ws\/lib/;
const inLogPath = (id) => stackOf(id).some((at) => LOG_PATH.test(frameName(at)));
const idle = (id) => byId.get(id).callFrame.functionName === '(idle)';

let t = 0;
const samples = profile.samples.map((id, i) => {
  t += profile.timeDeltas[i];
  return { id, ms: profile.timeDeltas[i] / 1000, window: Math.floor(t / 100_000), at: profile.startTime + t };
});
const logMs = new Map();
for (const s of samples) {
  if (!idle(s.id) && inLogPath(s.id)) logMs.set(s.window, (logMs.get(s.window) ?? 0) + s.ms);
}
const hot = new Set([...logMs].filter(([, ms]) => ms > 20).map(([window]) => window));

const self = new Map();
const inclusive = new Map();
let busy = 0;
for (const s of samples) {
  if (!hot.has(s.window) || idle(s.id)) continue;
  busy += s.ms;
  self.set(frameName(s.id), (self.get(frameName(s.id)) ?? 0) + s.ms);
  for (const name of new Set(stackOf(s.id).map(frameName)))
    inclusive.set(name, (inclusive.get(name) ?? 0) + s.ms);
}
const perLine = (ms) => (lines ? `  ${((ms * 1000) / lines).toFixed(2)} µs/line` : '');
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`log-path windows: ${(hot.size / 10).toFixed(1)} s, busy ${busy.toFixed(0)} ms${perLine(busy)}`);
console.log('--- self time');
for (const [name, ms] of top(self, 25))
  console.log(
    `${ms.toFixed(0).padStart(6)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${name}${perLine(ms)}`,
  );
console.log('--- inclusive time');
for (const [name, ms] of top(inclusive, 30))
  console.log(`${ms.toFixed(0).padStart(6)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${name}`);

// Long tasks over the whole run, named by the deepest project or package frames that took most of each.
const tasks = [];
let task;
for (const s of samples) {
  if (idle(s.id)) {
    if (task) tasks.push(task);
    task = undefined;
    continue;
  }
  task ??= { ms: 0, by: new Map(), at: s.at };
  task.ms += s.ms;
  const key = stackOf(s.id)
    .map(frameName)
    .filter((name) => /dist\/|node_modules\//.test(name))
    .slice(0, 3)
    .join(' < ');
  task.by.set(key, (task.by.get(key) ?? 0) + s.ms);
}
const printGroups = (title, chosen) => {
  const groups = new Map();
  for (const long of chosen) {
    const [key] = top(long.by, 1)[0];
    const group = groups.get(key) ?? { count: 0, max: 0, ms: 0 };
    group.count++;
    group.ms += long.ms;
    group.max = Math.max(group.max, long.ms);
    groups.set(key, group);
  }
  console.log(`--- ${title}: ${chosen.length}`);
  for (const [key, group] of [...groups].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15))
    console.log(
      `${String(group.count).padStart(5)}x  ${group.ms.toFixed(0).padStart(5)} ms  max ${group.max.toFixed(1)} ms  ${key || '(native or GC)'}`,
    );
};
printGroups(
  `tasks >= ${longMs} ms`,
  tasks.filter((candidate) => candidate.ms >= longMs),
);
if (probeFile) {
  const windows = JSON.parse(fs.readFileSync(probeFile, 'utf8')).pacedWindowsUs ?? [];
  const paced = (at) => windows.some(([from, to]) => at >= from && at < to);
  const pacedTasks = tasks.filter((candidate) => candidate.ms >= 1 && paced(candidate.at));
  const seconds = windows.length / 10;
  printGroups(`paced windows (${seconds.toFixed(1)} s): tasks >= 1 ms`, pacedTasks);
}
