import { describe, expect, it } from '@jest/globals';
import { PACKAGE_RELEASE_COMMAND, releaseCommandFor } from './release-command.js';

describe('releaseCommandFor', () => {
  it('prefers the command set through the API', () => {
    expect(releaseCommandFor(['node', 'migrate.js'], true)).toEqual(['node', 'migrate.js']);
  });

  it("falls back to package.json's berth:release script through npm", () => {
    expect(releaseCommandFor(null, true)).toEqual(['npm', 'run', '--silent', 'berth:release']);
    expect(releaseCommandFor([], true)).toEqual([...PACKAGE_RELEASE_COMMAND]);
  });

  it('is none without either', () => {
    expect(releaseCommandFor(null, false)).toBeNull();
  });
});
