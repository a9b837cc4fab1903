import type { ContainerEngine } from './container-engine.js';
import { EngineCapabilityNotSupportedError } from './engine-errors.js';

/**
 * Optional ability, outside the core ContainerEngine: run a command inside a running container (Docker's
 * exec). Compare Tsuru's optional provisioner interfaces. An engine without it throws
 * EngineCapabilityNotSupportedError from `execInContainer`.
 *
 * Why exec and not "copy a file into the container" (Docker's putArchive): tenant containers have a
 * read-only root filesystem and their only writable place is the /tmp tmpfs. Docker 20.10 refuses
 * putArchive on a read-only rootfs ("container rootfs is marked read-only") unless the path is a volume,
 * and a tmpfs is not one; exec writes through the container's own view of /tmp.
 */
export interface ContainerExecCapability {
  /**
   * Runs `cmd` (an argv: no shell unless `cmd` asks for one) as the container's user and resolves when it
   * exits, with its exit code and (bounded) output. Data for the command goes in `env`, never spliced into
   * a shell string. Rejects with EngineError (404 absent container, 409 not running) or with the abort
   * reason when `signal` fires or `timeoutMs` passes (the process inside may keep running: Docker has no
   * exec kill).
   */
  execInContainer(options: ExecOptions): Promise<ExecResult>;
}

export interface ExecOptions {
  id: string;
  cmd: string[];
  env?: Record<string, string>;
  /** Absolute folder the command starts in; default the container's working folder. */
  workingDir?: string;
  /** Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Bytes of stdout and of stderr kept (each, in whole lines, each line cut at 16 KiB with a mark); the
   * rest is dropped and `truncated` set (also when a line was cut). Default 256 KiB.
   */
  maxOutputBytes?: number;
  /**
   * Streams the output instead of keeping it: each line (cut at 16 KiB with a mark) goes here as it
   * arrives, and the result's stdout/stderr are empty. For long commands whose output is a log (a build's
   * install step). The daemon blocks the command while this process does not read, so memory stays bounded.
   */
  onLine?: (line: { stream: 'stdout' | 'stderr'; text: string }) => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** True when `engine` has the exec ability (an engine may still throw EngineCapabilityNotSupportedError). */
export function hasExecCapability(
  engine: ContainerEngine,
): engine is ContainerEngine & ContainerExecCapability {
  return typeof (engine as Partial<ContainerExecCapability>).execInContainer === 'function';
}

/** The exec ability of `engine`, or EngineCapabilityNotSupportedError when it has none. */
export function execCapabilityOf(engine: ContainerEngine): ContainerExecCapability {
  if (!hasExecCapability(engine)) {
    throw new EngineCapabilityNotSupportedError({ capability: 'exec', engine: engine.constructor.name });
  }
  return engine;
}
