import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from './docker.js';

export const API_MAIN = path.resolve('dist/apps/api/src/main.js');
export const WORKER_MAIN = path.resolve('dist/apps/worker/src/main.js');

/** Output kept per process (the tail), for failure messages. */
const KEEP_OUTPUT_CHARS = 64 * 1024;

/**
 * A built Berth process (`node dist/apps/…/main.js`) started by a test. Its output is kept (the tail) and
 * copied to `logFile`, so a failure can be read after the run.
 */
export class BerthProcess {
  private stderrText = '';
  private stdoutText = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFile: string,
  ) {
    const log = fs.createWriteStream(logFile);
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString()).slice(-KEEP_OUTPUT_CHARS);
      log.write(chunk);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      this.stdoutText = (this.stdoutText + chunk.toString()).slice(-KEEP_OUTPUT_CHARS);
      log.write(chunk);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        log.end();
        resolve(code);
      }),
    );
  }

  /** Starts `main` with `env` (nothing else of the test's environment but PATH and the run id). */
  static start(options: {
    name: string;
    main: string;
    env: NodeJS.ProcessEnv;
    logDir: string;
  }): BerthProcess {
    if (!fs.existsSync(options.main)) throw new Error(`${options.main} is missing: run npm run build first`);
    const child = spawn(process.execPath, [options.main], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new BerthProcess(options.name, child, path.join(options.logDir, `${options.name}.log`));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Waits for a line on stderr matching `pattern`; returns the match. */
  async waitForStderr(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
    return waitFor(
      `${this.name}: ${pattern}`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited early:\n${this.tail()}`);
        return pattern.exec(this.stderrText) ?? undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** The last lines it wrote. */
  tail(lines = 40): string {
    return `${this.stderrText}\n${this.stdoutText}`.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}
