import type { ContainerEngine } from '../container-engine.js';
import { EngineError } from '../engine-errors.js';

export type FakeMethod = keyof ContainerEngine | 'readContainerCounters';

/** An EngineError as the real engine raises it (operation, HTTP status, Docker's message). */
export function fakeEngineError(
  operation: string,
  statusCode: number | undefined,
  message: string,
): EngineError {
  return new EngineError({ operation, statusCode, message });
}

/**
 * What a FakeEngine records and fails with: every call (`calls`), failures queued per method, and a host
 * that cannot be reached. `enter` runs at the start of each engine call.
 */
export class FakeFaults {
  readonly calls: { method: FakeMethod; options: unknown }[] = [];
  private readonly failures = new Map<FakeMethod, Error[]>();
  private reachable = true;

  /** The next call of `method` rejects with `error` (queued: call twice to fail twice). */
  failNext(method: FakeMethod, error: Error = fakeEngineError(method, 500, 'injected failure')): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /** An unreachable host rejects every call until it is reachable again. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  enter(method: FakeMethod, options: unknown): void {
    this.calls.push({ method, options });
    if (!this.reachable) throw fakeEngineError(method, undefined, 'connect ECONNREFUSED (fake host is down)');
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
  }
}
