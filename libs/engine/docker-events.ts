import type Docker from 'dockerode';
import type { EngineEvent, EngineEventType } from './container-engine.js';
import { toEngineError } from './docker-errors.js';
import { labelFilter } from './docker-images.js';
import { MAX_ENGINE_JSON_LINE_BYTES, parseJsonLine, streamLines } from './stream-lines.js';

const EVENT_TYPES: readonly EngineEventType[] = ['start', 'die', 'oom', 'destroy'];
/** Attributes Docker puts next to the labels on a container event. */
const NON_LABEL_ATTRIBUTES = new Set(['image', 'name', 'exitCode', 'signal']);

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Container lifecycle events (start, die, oom, destroy) of containers carrying every given label. */
export async function* dockerEvents(
  docker: Docker,
  options: { labels: Record<string, string>; signal?: AbortSignal },
): AsyncGenerator<EngineEvent> {
  const { signal } = options;
  if (signal?.aborted) return;
  let output: NodeJS.ReadableStream;
  try {
    output = await docker.getEvents({
      filters: { type: ['container'], event: [...EVENT_TYPES], label: labelFilter(options.labels) },
      abortSignal: signal,
    });
  } catch (error) {
    if (signal?.aborted) return;
    throw toEngineError('events', error);
  }
  const response = output as NodeJS.ReadableStream & { destroy(): void };
  const onAbort = () => response.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of streamLines(output, MAX_ENGINE_JSON_LINE_BYTES)) {
      const event = toEngineEvent(parseJsonLine<DockerEventMessage>(line));
      if (event) yield event;
    }
  } catch (error) {
    if (signal?.aborted) return;
    throw toEngineError('events', error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    response.destroy();
  }
}

export function toEngineEvent(message: DockerEventMessage | undefined): EngineEvent | undefined {
  if (!message || message.Type !== 'container') return undefined;
  const type = EVENT_TYPES.find((candidate) => candidate === message.Action);
  const containerId = message.Actor?.ID;
  if (!type || !containerId) return undefined;
  const attributes = message.Actor?.Attributes ?? {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!NON_LABEL_ATTRIBUTES.has(key)) labels[key] = value;
  }
  const exitCode = attributes.exitCode === undefined ? undefined : Number(attributes.exitCode);
  const time =
    message.timeNano !== undefined
      ? new Date(Math.floor(message.timeNano / 1e6))
      : new Date((message.time ?? 0) * 1000);
  return { type, containerId, labels, exitCode, time };
}
