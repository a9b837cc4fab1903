/**
 * A failure the caller can act on, rendered as RFC 9457 problem+json. `code` is stable: clients branch on
 * it, so changing one is a breaking API change.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    /** Extra members of the problem object (e.g. `limit`, `current`, `requested`, `errors`). */
    readonly extensions: Record<string, unknown> = {},
    /** Response headers such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export interface FieldError {
  field: string;
  message: string;
}

export const problems = {
  validation: (errors: FieldError[]) =>
    new ProblemError(
      400,
      'validation_failed',
      'Request validation failed',
      errors.map((e) => e.message).join('; '),
      {
        errors,
      },
    ),
  badRequest: (code: string, detail: string) => new ProblemError(400, code, 'Bad request', detail),
  unauthorized: (detail = 'Missing or invalid credentials') =>
    new ProblemError(401, 'unauthorized', 'Unauthorized', detail),
  forbidden: (detail = 'Your role or key scope does not allow this') =>
    new ProblemError(403, 'forbidden', 'Forbidden', detail),
  /** Used for other tenants' resources as well, so ids cannot be probed. */
  notFound: (resource: string, id?: string) =>
    new ProblemError(
      404,
      'not_found',
      'Not found',
      id ? `${resource} '${id}' was not found` : `${resource} was not found`,
    ),
  conflict: (code: string, detail: string) => new ProblemError(409, code, 'Conflict', detail),
  /** The resource existed and is gone for good (e.g. a build whose log retention expired). */
  gone: (code: string, detail: string) => new ProblemError(410, code, 'Gone', detail),
  tooManyRequests: (code: string, detail: string, retryAfterSeconds: number) =>
    new ProblemError(
      429,
      code,
      'Too many requests',
      detail,
      { retryAfterSeconds },
      {
        'Retry-After': String(retryAfterSeconds),
      },
    ),
  /** 403 by default; 429 for a limit that frees up by itself (a build slot), so a retry later may pass. */
  quotaExceeded: (
    limit: string,
    details: { limit: number; current: number; requested: number; unit?: string },
    status: 403 | 429 = 403,
  ) =>
    new ProblemError(
      status,
      'quota_exceeded',
      'Quota exceeded',
      `Plan limit '${limit}' is ${details.limit}${details.unit ? ' ' + details.unit : ''}: current use is ${details.current}, this request needs ${details.requested}`,
      { quota: limit, ...details },
    ),
  unprocessable: (code: string, detail: string, extensions: Record<string, unknown> = {}) =>
    new ProblemError(422, code, 'Unprocessable content', detail, extensions),
};
