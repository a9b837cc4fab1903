import type { Request } from 'express';
import { describe, expect, it } from '@jest/globals';
import { currentAuditContext } from '../../../../libs/audit/index.js';
import { auditContext } from './audit-context.js';

/** What the services writing an event would see, read after an await inside the request's handling. */
function contextSeenBy(method: string, ip: string): Promise<{ address: string | null } | undefined> {
  return new Promise((resolve) => {
    auditContext({ method, ip } as Request, undefined, () => {
      void Promise.resolve().then(() => resolve(currentAuditContext()));
    });
  });
}

describe('auditContext', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
    'gives a %s the client address for its events',
    async (method) => {
      const context = await contextSeenBy(method, '192.0.2.7');
      expect(context?.address).toBe('192.0.2.7');
    },
  );

  it.each(['GET', 'HEAD'])('enters no context for a %s, which writes no event', async (method) => {
    expect(await contextSeenBy(method, '192.0.2.7')).toBeUndefined();
  });

  it('keeps concurrent requests apart', async () => {
    const [a, b] = await Promise.all([
      contextSeenBy('POST', '192.0.2.1'),
      contextSeenBy('POST', '192.0.2.2'),
    ]);
    expect([a?.address, b?.address]).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});
