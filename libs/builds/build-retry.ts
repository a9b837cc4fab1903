import { BuildFailedError, type BuildImageOptions, type ContainerEngine } from '../engine/index.js';

/**
 * The classic builder probes cached layers while it builds; when another app's deletion removes an
 * image at that moment, the build fails with "unable to find image" (or "No such image") although
 * nothing is wrong with the tenant's code. Seen in the bench with concurrent deploys and deletions.
 */
export function isLostLayerFailure(error: unknown): boolean {
  return error instanceof BuildFailedError && /unable to find image|no such image/i.test(error.buildError);
}

/**
 * buildImage, built once more when the first attempt lost a cached layer (see isLostLayerFailure).
 * `context` is called per attempt: a build consumes its context stream. Any other failure, and a
 * second lost layer, is the build's failure.
 */
export async function buildWithLostLayerRetry(
  engine: ContainerEngine,
  options: Omit<BuildImageOptions, 'context'> & { context: () => NodeJS.ReadableStream },
): Promise<{ imageId: string }> {
  const { context, ...rest } = options;
  try {
    return await engine.buildImage({ ...rest, context: context() });
  } catch (error) {
    if (options.signal?.aborted || !isLostLayerFailure(error)) throw error;
    options.onLog?.(
      `[berth] the builder lost a cached layer while another app's images were removed (${(error as BuildFailedError).buildError}); building again`,
    );
    return engine.buildImage({ ...rest, context: context() });
  }
}
