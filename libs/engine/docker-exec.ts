import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import type { ExecOptions, ExecResult } from './container-exec.js';
import { BoundedLineSplitter } from './bounded-lines.js';
import { dockerCall } from './docker-errors.js';
import { EngineError } from './engine-errors.js';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * Docker exec: create, start attached (stdout and stderr multiplexed on one stream, demuxed by
 * docker-modem), read until the stream ends, then ask for the exit code. No TTY, no stdin.
 */
export async function dockerExec(docker: Docker, options: ExecOptions): Promise<ExecResult> {
  if (options.cmd.length === 0) throw new RangeError('cmd is empty');
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  signal.throwIfAborted();
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;

  const exec = await dockerCall('execInContainer', () =>
    docker.getContainer(options.id).exec({
      Cmd: options.cmd,
      Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
      ...(options.workingDir === undefined ? {} : { WorkingDir: options.workingDir }),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    }),
  );
  const stream: Duplex = await dockerCall('execInContainer', () =>
    exec.start({ hijack: true, stdin: false, Detach: false, Tty: false }),
  );

  const { onLine } = options;
  const out = onLine
    ? { stdout: new StreamedOutput('stdout', onLine), stderr: new StreamedOutput('stderr', onLine) }
    : { stdout: new ExecOutput(max), stderr: new ExecOutput(max) };
  const sink = (name: 'stdout' | 'stderr') =>
    ({ write: (chunk: Buffer) => (out[name].push(chunk), true) }) as unknown as NodeJS.WritableStream;
  docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));

  const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await finished(stream);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new EngineError({ operation: 'execInContainer', message: String(error), cause: error });
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }

  // The stream ends when the process closes its output; the exit code lands a moment later.
  for (let attempt = 0; ; attempt += 1) {
    const info = await dockerCall('execInContainer', () => exec.inspect());
    if (!info.Running && typeof info.ExitCode === 'number') {
      const stdout = out.stdout.end();
      const stderr = out.stderr.end();
      return {
        exitCode: info.ExitCode,
        stdout: stdout.text,
        stderr: stderr.text,
        truncated: stdout.truncated || stderr.truncated,
      };
    }
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** attempt)));
  }
}

/** One output stream of an exec, passed on line by line (cut at MAX_LINE_BYTES) and not kept. */
class StreamedOutput {
  private readonly splitter: BoundedLineSplitter;

  constructor(stream: 'stdout' | 'stderr', onLine: NonNullable<ExecOptions['onLine']>) {
    this.splitter = new BoundedLineSplitter((text) => onLine({ stream, text: text.replace(/\r$/, '') }));
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): { text: string; truncated: boolean } {
    this.splitter.end();
    return { text: '', truncated: false };
  }
}

/**
 * One output stream of an exec, kept up to `maxBytes` (then dropped, `truncated` set) in lines cut at
 * MAX_LINE_BYTES like every other stream from a container, so the kept text never ends in half a
 * character. Complete lines keep their "\n"; a last line without one stays without.
 */
class ExecOutput {
  private readonly lines: string[] = [];
  private bytes = 0;
  private truncated = false;
  private ending = false;
  private readonly splitter = new BoundedLineSplitter((text, _tag, cut) => {
    const line = this.ending ? text : `${text}\n`;
    const size = Buffer.byteLength(line);
    if (cut) this.truncated = true;
    if (this.bytes + size > this.maxBytes) {
      this.truncated = true;
      this.bytes = this.maxBytes; // nothing after a dropped line, so the output has no holes
      return;
    }
    this.lines.push(line);
    this.bytes += size;
  });

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): { text: string; truncated: boolean } {
    this.ending = true;
    this.splitter.end();
    return { text: this.lines.join(''), truncated: this.truncated };
  }
}
