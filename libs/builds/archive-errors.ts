import { ProblemError } from '../errors/index.js';

/** Stable `code`s of a refused upload; clients branch on them (listed in libs/builds/README.md). */
export type ArchiveRejectionCode =
  | 'upload_too_large'
  | 'archive_too_large_expanded'
  | 'unsupported_archive'
  | 'corrupt_archive'
  | 'unsafe_path'
  | 'unsafe_link'
  | 'unsupported_entry'
  | 'too_many_entries'
  | 'no_package_json'
  | 'invalid_package_json'
  | 'no_start_command';

export type ArchiveRejectionStatus = 413 | 422;

/**
 * An upload Berth refuses before storing it. A ProblemError, so the API renders it as problem+json
 * with `status`, `code` and `detail` unchanged.
 */
export class ArchiveRejectedError extends ProblemError {
  declare readonly status: ArchiveRejectionStatus;
  declare readonly code: ArchiveRejectionCode;
  declare readonly detail: string;

  constructor(
    status: ArchiveRejectionStatus,
    code: ArchiveRejectionCode,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(status, code, status === 413 ? 'Content too large' : 'Archive rejected', detail, extensions);
    this.name = 'ArchiveRejectedError';
  }
}

/** 422 shorthand: every refusal except the two size limits. */
export function rejected(
  code: Exclude<ArchiveRejectionCode, 'upload_too_large' | 'archive_too_large_expanded'>,
  detail: string,
): ArchiveRejectedError {
  return new ArchiveRejectedError(422, code, detail);
}
