/**
 * Typed errors every ContainerEngine raises. Callers branch on the class (and on `statusCode` for
 * EngineError), never on message text.
 */

/** A call the engine refused or could not complete. `statusCode` is the Engine API's HTTP status, when any. */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly statusCode: number | undefined;
  readonly operation: string;

  constructor(options: { operation: string; message: string; statusCode?: number; cause?: unknown }) {
    super(`${options.operation}: ${options.message}`, { cause: options.cause });
    this.operation = options.operation;
    this.statusCode = options.statusCode;
  }

  /** The object named in the call does not exist (HTTP 404). */
  get notFound(): boolean {
    return this.statusCode === 404;
  }

  /** Name already taken, object in use, container not running (HTTP 409). */
  get conflict(): boolean {
    return this.statusCode === 409;
  }
}

/** A build ended with an error reported in the build output stream (a failing RUN, a missing base image...). */
export class BuildFailedError extends Error {
  override name = 'BuildFailedError';
  /** The error message the builder reported, verbatim. */
  readonly buildError: string;

  constructor(options: { buildError: string; tag: string }) {
    super(`build of ${options.tag} failed: ${options.buildError}`);
    this.buildError = options.buildError;
  }
}

/** The image is on none of the hosts it was looked for on, nor in the registry when one was given. */
export class ImageUnavailableError extends Error {
  override name = 'ImageUnavailableError';
  readonly ref: string;

  constructor(options: { ref: string; registry?: string }) {
    super(
      `image ${options.ref} is on no host${options.registry === undefined ? '' : ` and not in registry ${options.registry}`}`,
    );
    this.ref = options.ref;
  }
}

/** An optional ability (exec, ...) that this engine does not have. Compare Tsuru's ErrNotSupported. */
export class EngineCapabilityNotSupportedError extends Error {
  override name = 'EngineCapabilityNotSupportedError';
  readonly capability: string;

  constructor(options: { capability: string; engine: string }) {
    super(`${options.engine} does not support ${options.capability}`);
    this.capability = options.capability;
  }
}
