/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload, loaded with --require */
/**
 * A preload for the Berth child of bench/logs.ts (`--cpu-prof` is refused in NODE_OPTIONS), to see where
 * its time goes; it changes nothing the bench measures but adds the profiler's own overhead:
 *
 *   BERTH_PROBE_DIR=.data/probe NODE_OPTIONS="--require ./bench/berth-child-probe.cjs" node dist/bench/logs.js
 *
 * In the process whose script is apps/api/src/main.js only, it writes at exit to $BERTH_PROBE_DIR:
 * - berth-<pid>.cpuprofile: the V8 CPU profile (0.5 ms sampling) of the whole run (bench/profile-summary.mjs);
 * - berth-<pid>.json: CPU time (user + system) spent while log frames went out (between WebSocket sends
 *   less than 200 ms apart, so the bench's pauses and Berth's start are left out), messages and bytes sent;
 *   and for the paced rounds (100 ms windows in which a frame of a `berthpaced` flood went out): the event
 *   loop's delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) against the other windows', the
 *   garbage collections, and the windows themselves on the profile's clock (`pacedWindowsUs`), so that
 *   bench/profile-summary.mjs can list the long tasks of the paced rounds alone.
 */
if ((process.argv[1] ?? '').endsWith('apps/api/src/main.js')) {
  const fs = require('node:fs');
  const inspector = require('node:inspector');
  const dir = process.env.BERTH_PROBE_DIR ?? '.data/probe';
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');

  const { monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');
  // One histogram per 100 ms window (for its maximum), one for the paced rounds (on from the first paced
  // frame to the end of the first window without one) and one for the rest of the run.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const pacedDelay = monitorEventLoopDelay({ resolution: 1 });
  const otherDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  otherDelay.enable();
  // The V8 profile's timestamps are CLOCK_MONOTONIC µs, as process.hrtime.
  const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
  const pacedWindowsUs = [];
  const pacedWindowMaxMs = [];
  const gcs = [];
  let pacedInWindow = false;
  let windowStartUs = monotonicUs();
  let windowStartMs = performance.now();
  setInterval(() => {
    const nowUs = monotonicUs();
    const nowMs = performance.now();
    if (pacedInWindow) {
      for (const [key, count] of windowStatements)
        pacedStatements.set(key, (pacedStatements.get(key) ?? 0) + count);
      pacedWindowsUs.push([windowStartUs, nowUs]);
      pacedWindowMaxMs.push({ atMs: windowStartMs, maxMs: loopDelay.max / 1e6 });
    } else {
      pacedDelay.disable();
      otherDelay.enable();
    }
    loopDelay.reset();
    windowStatements = new Map();
    pacedInWindow = false;
    windowStartUs = nowUs;
    windowStartMs = nowMs;
  }, 100).unref();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      gcs.push({ atMs: entry.startTime, ms: entry.duration, kind: entry.detail?.kind ?? entry.kind });
  }).observe({ entryTypes: ['gc'] });
  const percentiles = (h) => ({
    count: h.count,
    p50Ms: h.percentile(50) / 1e6,
    p99Ms: h.percentile(99) / 1e6,
    p999Ms: h.percentile(99.9) / 1e6,
    // No maximum: the first sample after enable() spans the time the histogram was off.
  });

  // SQL statements sent during the paced windows, by their first words (what runs beside the stream).
  const pacedStatements = new Map();
  let windowStatements = new Map();
  const pg = require(require.resolve('pg', { paths: [process.cwd()] }));
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function countedQuery(config, ...rest) {
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    windowStatements.set(key, (windowStatements.get(key) ?? 0) + 1);
    return query.call(this, config, ...rest);
  };

  const WebSocket = require(require.resolve('ws', { paths: [process.cwd()] }));
  const send = WebSocket.prototype.send;
  const streaming = { cpuMs: 0, messages: 0, bytes: 0 };
  let lastSendAt = 0;
  let lastCpu = process.cpuUsage();
  WebSocket.prototype.send = function countedSend(data, ...rest) {
    const now = performance.now();
    const cpu = process.cpuUsage();
    if (now - lastSendAt < 200) {
      streaming.cpuMs += (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    }
    lastSendAt = now;
    lastCpu = cpu;
    streaming.messages++;
    streaming.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (!pacedInWindow && data.includes(' berthpaced')) {
      pacedInWindow = true;
      otherDelay.disable();
      pacedDelay.enable();
    }
    return send.call(this, data, ...rest);
  };

  process.on('exit', () => {
    // The inspector answers synchronously in the same thread, so this completes before the process ends.
    session.post('Profiler.stop', (error, result) => {
      fs.mkdirSync(dir, { recursive: true });
      if (!error) fs.writeFileSync(`${dir}/berth-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
      const inPaced = (atMs) => pacedWindowMaxMs.some((w) => atMs >= w.atMs && atMs < w.atMs + 100);
      const pacedGcs = gcs.filter((gc) => inPaced(gc.atMs));
      const gcKinds = {};
      for (const gc of pacedGcs) {
        const kind = (gcKinds[gc.kind] ??= { count: 0, ms: 0, maxMs: 0 });
        kind.count++;
        kind.ms += gc.ms;
        kind.maxMs = Math.max(kind.maxMs, gc.ms);
      }
      const paced = {
        windows: pacedWindowsUs.length,
        loopDelay: percentiles(pacedDelay),
        otherLoopDelay: percentiles(otherDelay),
        windowsWithDelayOver: Object.fromEntries(
          [2, 5, 10, 20].map((ms) => [`${ms}ms`, pacedWindowMaxMs.filter((w) => w.maxMs > ms).length]),
        ),
        gcByKind: gcKinds,
        gcOver1ms: pacedGcs.filter((gc) => gc.ms >= 1).length,
        statements: Object.fromEntries([...pacedStatements].sort((a, b) => b[1] - a[1])),
      };
      fs.writeFileSync(
        `${dir}/berth-${process.pid}.json`,
        JSON.stringify({ ...streaming, paced, pacedWindowsUs }),
      );
    });
  });
}
