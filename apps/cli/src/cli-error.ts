import { isProblem, type Problem } from '../../../packages/client/src/index.js';

/** The process exit codes, documented in docs/cli.md. */
export const ExitCode = {
  ok: 0,
  /** an unexpected error, or the API refused the request for another reason */
  failure: 1,
  /** bad arguments or options */
  usage: 2,
  /** not logged in, credentials expired or not allowed (401, 403) */
  auth: 3,
  /** no such app, release, key… (404) */
  notFound: 4,
  /** a plan limit or quota was reached (quota_exceeded, 413, 429) */
  limit: 5,
  /** deploy: the build failed or was cancelled, or the rollout did not converge */
  deployFailed: 6,
  /** the API could not be reached */
  unreachable: 7,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
  }
}

const LIMIT_CODES = new Set([
  'quota_exceeded',
  'payload_too_large',
  'too_many_requests',
  'stream_limit_reached',
]);

export function exitCodeForStatus(status: number, code?: string): number {
  if (code && LIMIT_CODES.has(code)) return ExitCode.limit;
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404) return ExitCode.notFound;
  if (status === 413 || status === 429) return ExitCode.limit;
  return ExitCode.failure;
}

/** One readable paragraph from a problem+json: title, detail, and the limit and figures when named. */
export function describeProblem(problem: Problem): string {
  const parts = [`${problem.title}${problem.code ? ` (${problem.code})` : ''}`];
  if (problem.detail) parts.push(problem.detail);
  const known = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'errors']);
  const extras = Object.entries(problem).filter(([key, value]) => !known.has(key) && value !== undefined);
  for (const [key, value] of extras)
    parts.push(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  if (Array.isArray(problem.errors))
    for (const error of problem.errors)
      parts.push(`- ${typeof error === 'string' ? error : JSON.stringify(error)}`);
  return parts.join('\n');
}

/** Turns an openapi-fetch result's error into a CliError; returns the data otherwise. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  throw problemError(result.response.status, result.error);
}

export function problemError(status: number, body: unknown): CliError {
  if (isProblem(body)) return new CliError(describeProblem(body), exitCodeForStatus(status, body.code));
  return new CliError(
    `The API answered ${status}${body ? `: ${typeof body === 'string' ? body : JSON.stringify(body)}` : ''}`,
    exitCodeForStatus(status),
  );
}
