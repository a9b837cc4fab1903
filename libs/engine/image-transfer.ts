import type { ContainerEngine } from './container-engine.js';
import { EngineError, ImageUnavailableError } from './engine-errors.js';

/**
 * Makes sure `target` has image `ref`: when it lacks it, streams `docker save` from the first source
 * that has it straight into `docker load` on the target (no temp file, no registry). Rejects with
 * ImageUnavailableError when no source has it. (A configured registry would be another path, later.)
 */
export async function ensureImage(options: {
  ref: string;
  target: ContainerEngine;
  sources: ContainerEngine[];
}): Promise<{ transferred: boolean }> {
  const { ref, target } = options;
  if (await target.inspectImage({ ref })) return { transferred: false };
  for (const source of options.sources) {
    if (source === target || !(await source.inspectImage({ ref }))) continue;
    const tar = await source.saveImage({ ref });
    try {
      await target.loadImage({ tar });
    } catch (error) {
      (tar as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw error;
    }
    if (!(await target.inspectImage({ ref }))) {
      throw new EngineError({ operation: 'ensureImage', message: `${ref} is still absent after loading it` });
    }
    return { transferred: true };
  }
  throw new ImageUnavailableError({ ref });
}
