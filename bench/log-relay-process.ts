/** Runs bench/log-relay.ts in a child process for bench/logs.ts (its own event loop, as Berth's). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LogRelay {
  port: number;
  /** The relay's stream of one container's log. */
  urlFor(containerId: string): string;
  stop(): Promise<void>;
}

export function startLogRelay(dockerEndpoint: string): Promise<LogRelay> {
  const script = fileURLToPath(new URL('./log-relay.js', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, BERTH_BENCH_DOCKER: dockerEndpoint },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  let output = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the log relay did not start within 30 s:\n${output}`));
    }, 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      // Once started, what the relay says (a follow that failed) goes to the bench's own progress.
      if (started) return void process.stderr.write(`[log relay] ${chunk.toString()}`);
      output = (output + chunk.toString()).slice(-10_000);
      const match = /relay listening on (\d+)/.exec(output);
      if (match) {
        started = true;
        clearTimeout(timer);
        const port = Number(match[1]);
        resolve({
          port,
          urlFor: (containerId) => `ws://127.0.0.1:${port}/?container=${encodeURIComponent(containerId)}`,
          stop,
        });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (started) process.stderr.write(`[log relay] exited (${code ?? signal})\n`);
      else reject(new Error(`the log relay exited (${code}) while starting:\n${output}`));
    });
  });
}
