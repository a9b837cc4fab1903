import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { AuthService, Principal } from '../../../../libs/identity/index.js';
import type { AppListCache } from '../../../../libs/runtime/index.js';
import { AuthGuard } from './auth.guard.js';
import type { AuthorizationRule } from './authorization.js';

const member: Principal = {
  kind: 'user',
  id: 'u1',
  tenantId: 't1',
  role: 'member',
  operator: false,
  platform: false,
  permissions: new Set(['apps:read', 'apps:write']),
};

/** The guard with a fixed route rule and principal, recording the fences it opens on the app list. */
function guardFor(rule: AuthorizationRule) {
  const fences: { tenantId: string; lifted: number }[] = [];
  const appList = {
    fence: (tenantId: string) => {
      const fence = { tenantId, lifted: 0 };
      fences.push(fence);
      return () => fence.lifted++;
    },
  } as unknown as AppListCache;
  const reflector = { getAllAndOverride: () => rule } as unknown as Reflector;
  const auth = { authenticate: async () => member } as unknown as AuthService;
  const guard = new AuthGuard(reflector, auth, appList);
  const call = async (method: string) => {
    const response = new EventEmitter();
    const request = { method, headers: { authorization: 'Bearer token' } };
    const context = {
      getType: () => 'http',
      getHandler: () => undefined,
      getClass: () => undefined,
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ExecutionContext;
    expect(await guard.canActivate(context)).toBe(true);
    return response;
  };
  return { fences, call };
}

describe('AuthGuard and the app list cache', () => {
  it("fences the tenant's app list during a write and lifts the fence once its response is over", async () => {
    const { fences, call } = guardFor({ public: false, permission: 'apps:write' });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await call(method);
      expect(fences.at(-1)).toEqual({ tenantId: 't1', lifted: 0 });
      response.emit('close');
      response.emit('close');
      expect(fences.at(-1)).toEqual({ tenantId: 't1', lifted: 1 });
    }
    expect(fences).toHaveLength(4);
  });

  it('opens no fence for reads', async () => {
    const { fences, call } = guardFor({ public: false, permission: 'apps:read' });
    for (const method of ['GET', 'HEAD', 'OPTIONS']) (await call(method)).emit('close');
    expect(fences).toEqual([]);
  });
});
