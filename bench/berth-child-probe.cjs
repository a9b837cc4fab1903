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
 *   less than 200 ms apart, so the bench's pauses and Berth's start are left out), messages and bytes sent.
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
    return send.call(this, data, ...rest);
  };

  process.on('exit', () => {
    // The inspector answers synchronously in the same thread, so this completes before the process ends.
    session.post('Profiler.stop', (error, result) => {
      fs.mkdirSync(dir, { recursive: true });
      if (!error) fs.writeFileSync(`${dir}/berth-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
      fs.writeFileSync(`${dir}/berth-${process.pid}.json`, JSON.stringify(streaming));
    });
  });
}
