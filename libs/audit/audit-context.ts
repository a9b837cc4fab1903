import { AsyncLocalStorage } from 'node:async_hooks';

/** What the request that caused an event knows and the services writing it do not: the client's address. */
export interface AuditRequestContext {
  address: string | null;
}

const storage = new AsyncLocalStorage<AuditRequestContext>();

/** Runs `next` (the rest of a request's handling) with the request's context, for AuditService.record. */
export function runWithAuditContext(context: AuditRequestContext, next: () => void): void {
  storage.run(context, next);
}

export function currentAuditContext(): AuditRequestContext | undefined {
  return storage.getStore();
}
