import type { ContainerEngine, ContainerLogsOptions, LogLine } from './container-engine.js';

/**
 * Optional ability, outside the core ContainerEngine: a container's log as batches, each the lines that
 * arrived together (one read of the Engine's answer), in the order and with the follow semantics of
 * `containerLogs`. A hot reader (the log hub) then pays its per-item costs (promises, timers, checks) once
 * per batch instead of once per line. Never an empty batch.
 */
export interface ContainerLogBatchesCapability {
  containerLogBatches(options: ContainerLogsOptions): AsyncIterable<LogLine[]>;
}

export function hasLogBatchesCapability(
  engine: ContainerEngine,
): engine is ContainerEngine & ContainerLogBatchesCapability {
  return typeof (engine as Partial<ContainerLogBatchesCapability>).containerLogBatches === 'function';
}

/**
 * The container's log as batches: the engine's own when it has the ability, else its `containerLogs`
 * one line per batch (same lines, same order; only slower), so every engine can feed a batch reader.
 */
export function containerLogBatchesOf(
  engine: ContainerEngine,
  options: ContainerLogsOptions,
): AsyncIterable<LogLine[]> {
  if (hasLogBatchesCapability(engine)) return engine.containerLogBatches(options);
  return (async function* singleLines() {
    for await (const line of engine.containerLogs(options)) yield [line];
  })();
}
