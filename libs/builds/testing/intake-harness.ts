import { ArchiveRejectedError } from '../archive-errors.js';
import { inspectSourceArchive } from '../archive-intake.js';
import type { IntakeLimits } from '../source-archive.js';
import { tempDir } from './archive-fixtures.js';

/** A temp spool folder plus "inspect this upload and give me the refusal" for hostile-input tests. */
export async function intakeHarness(limits: IntakeLimits) {
  const tmp = await tempDir();
  let uploads = 0;
  const spool = (data: Buffer) => tmp.write(`upload-${++uploads}`, data);
  return {
    spool,
    cleanup: tmp.cleanup,
    /** The ArchiveRejectedError inspectSourceArchive throws for `data` (fails the test if it accepts it). */
    async refusal(
      data: Buffer | string,
      overrides: Partial<IntakeLimits> = {},
    ): Promise<ArchiveRejectedError> {
      const file = typeof data === 'string' ? data : await spool(data);
      try {
        await inspectSourceArchive({ file, limits: { ...limits, ...overrides } });
      } catch (error) {
        if (error instanceof ArchiveRejectedError) return error;
        throw error;
      }
      throw new Error('the archive was accepted but should have been refused');
    },
  };
}
