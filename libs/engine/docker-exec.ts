import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import type { ExecOptions, ExecResult } from './container-exec.js';
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
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    }),
  );
  const stream: Duplex = await dockerCall('execInContainer', () =>
    exec.start({ hijack: true, stdin: false, Detach: false, Tty: false }),
  );

  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: { stdout: 0, stderr: 0 } };
  let truncated = false;
  const sink = (name: 'stdout' | 'stderr') =>
    ({
      write: (chunk: Buffer) => {
        const room = max - out.bytes[name];
        if (chunk.length > room) truncated = true;
        if (room > 0) {
          const kept = chunk.subarray(0, room);
          out[name].push(kept);
          out.bytes[name] += kept.length;
        }
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
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
      return {
        exitCode: info.ExitCode,
        stdout: Buffer.concat(out.stdout).toString('utf8'),
        stderr: Buffer.concat(out.stderr).toString('utf8'),
        truncated,
      };
    }
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** attempt)));
  }
}
