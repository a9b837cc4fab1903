import { describe, expect, it } from '@jest/globals';
import { describeProblem, ExitCode, exitCodeForStatus, problemError } from './cli-error.js';

describe('problem+json in the CLI', () => {
  it('names the title, code, detail and the limit with its figures', () => {
    const text = describeProblem({
      title: 'Quota exceeded',
      status: 409,
      code: 'quota_exceeded',
      detail: 'The plan allows 2 apps',
      limit: 'maxApps',
      current: 2,
      requested: 1,
    });
    expect(text.split('\n')).toEqual([
      'Quota exceeded (quota_exceeded)',
      'The plan allows 2 apps',
      'limit: maxApps',
      'current: 2',
      'requested: 1',
    ]);
  });

  it('maps statuses and codes to the documented exit codes', () => {
    expect(exitCodeForStatus(401)).toBe(ExitCode.auth);
    expect(exitCodeForStatus(403)).toBe(ExitCode.auth);
    expect(exitCodeForStatus(404)).toBe(ExitCode.notFound);
    expect(exitCodeForStatus(409, 'quota_exceeded')).toBe(ExitCode.limit);
    expect(exitCodeForStatus(413)).toBe(ExitCode.limit);
    expect(exitCodeForStatus(409, 'app_exists')).toBe(ExitCode.failure);
  });

  it('says what came back when the body is not problem+json', () => {
    expect(problemError(502, 'Bad Gateway').message).toBe('The API answered 502: Bad Gateway');
  });
});
