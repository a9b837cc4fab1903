import type { Request } from 'express';
import { runWithAuditContext } from '../../../../libs/audit/index.js';

/**
 * Audit events name the client's address; the services writing them see it through the audit context. Only
 * requests that can change something enter it: events are written by mutations, never by a GET or HEAD
 * (safe methods), and entering an AsyncLocalStorage costs ~4 µs on every cheap read. The address is worked
 * out (trusted proxies, X-Forwarded-For) only when an event is written.
 */
export function auditContext(request: Request, _response: unknown, next: () => void): void {
  if (request.method === 'GET' || request.method === 'HEAD') {
    next();
    return;
  }
  runWithAuditContext(
    {
      get address() {
        return request.ip ?? null;
      },
    },
    next,
  );
}
