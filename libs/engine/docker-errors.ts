import { EngineError } from './engine-errors.js';

interface ModemError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** The Engine API status of a dockerode/docker-modem error, if it came from an HTTP answer. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as ModemError | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Wraps any failure of a Docker call into an EngineError carrying the HTTP status and Docker's message. */
export function toEngineError(operation: string, error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const modemError = error as ModemError | null;
  const message =
    (typeof modemError?.json?.message === 'string' && modemError.json.message) ||
    (typeof modemError?.message === 'string' && modemError.message) ||
    String(error);
  return new EngineError({ operation, message: message.trim(), statusCode: statusOf(error), cause: error });
}

/** Runs a Docker call; any failure becomes an EngineError. */
export async function dockerCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toEngineError(operation, error);
  }
}

/**
 * Runs a Docker call whose contract says "absent" is an answer: 404 becomes `undefined`, on purpose.
 * Every other failure is still an EngineError (never "any error means absent").
 */
export async function dockerCallAbsentOn404<T>(
  operation: string,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toEngineError(operation, error);
  }
}
