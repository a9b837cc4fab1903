import { describe, expect, it, jest } from '@jest/globals';
import type { Principal, PrincipalAccount } from '../../../../libs/identity/index.js';
import { MeView } from './identity.dto.js';

const account: PrincipalAccount = {
  tenant: {
    id: 't1',
    name: 'acme',
    planId: 'hobby',
    status: 'active',
    kind: 'customer',
    createdAt: new Date(0),
  },
  user: {
    id: 'u1',
    tenantId: 't1',
    email: 'ada@example.com',
    role: 'owner',
    isOperator: false,
    createdAt: new Date(0),
  },
};

function principal(withAccount: boolean): Principal {
  return {
    kind: 'user',
    id: 'u1',
    tenantId: 't1',
    platform: false,
    operator: false,
    permissions: new Set(['apps:write', 'apps:read']),
    ...(withAccount ? { account } : {}),
  } as Principal;
}

describe('MeView.of', () => {
  it('makes the view of a principal carrying its account once, then hands out the same', async () => {
    const caller = principal(true);
    const me = jest.fn(async () => ({ ...account, principal: caller }));
    const first = await MeView.of(caller, me);
    expect(await MeView.of(caller, me)).toBe(first);
    expect(me).toHaveBeenCalledTimes(1);
    expect(JSON.parse(JSON.stringify(first))).toEqual({
      kind: 'user',
      user: {
        id: 'u1',
        email: 'ada@example.com',
        role: 'owner',
        tenantId: 't1',
        operator: false,
        createdAt: '1970-01-01T00:00:00.000Z',
      },
      tenant: {
        id: 't1',
        name: 'acme',
        planId: 'hobby',
        status: 'active',
        kind: 'customer',
        createdAt: '1970-01-01T00:00:00.000Z',
      },
      permissions: ['apps:read', 'apps:write'],
    });
    // Another principal (the cache let the first go, or another bearer) gets a view of its own.
    const next = principal(true);
    expect(await MeView.of(next, async () => ({ ...account, principal: next }))).not.toBe(first);
  });

  it('reads again for a principal without an account (its rows come from a query each time)', async () => {
    const caller = principal(false);
    const me = jest.fn(async () => ({ ...account, principal: caller }));
    await MeView.of(caller, me);
    await MeView.of(caller, me);
    expect(me).toHaveBeenCalledTimes(2);
  });
});
