import { describe, expect, it } from '@jest/globals';
import { PrincipalMemo } from './principal-cache.js';
import type { Principal } from './permissions.js';

const alice: Principal = {
  kind: 'user',
  id: 'u1',
  tenantId: 't1',
  role: 'owner',
  operator: false,
  platform: false,
  permissions: new Set(),
};

function counter(answer: Principal | undefined) {
  const calls = { count: 0 };
  const load = async () => {
    calls.count++;
    return answer;
  };
  return { calls, load };
}

describe('PrincipalMemo', () => {
  it('reads the database once per bearer until the entry is ttl old', async () => {
    let now = 0;
    const memo = new PrincipalMemo(1000, () => now);
    const { calls, load } = counter(alice);
    expect(await memo.lookup('a', load)).toBe(alice);
    now = 999;
    expect(await memo.lookup('a', load)).toBe(alice);
    expect(calls.count).toBe(1);
    now = 1000;
    await memo.lookup('a', load);
    expect(calls.count).toBe(2);
  });

  it('forgets everything when told a principal changed', async () => {
    const memo = new PrincipalMemo(60_000);
    const { calls, load } = counter(alice);
    await memo.lookup('a', load);
    memo.forget();
    await memo.lookup('a', load);
    expect(calls.count).toBe(2);
  });

  it('does not keep an answer read before a change it heard of meanwhile', async () => {
    const memo = new PrincipalMemo(60_000);
    let release!: () => void;
    const slow = () =>
      new Promise<Principal>((resolve) => {
        release = () => resolve(alice);
      });
    const pending = memo.lookup('a', slow);
    memo.forget(); // the revocation committed while the lookup was reading
    release();
    expect(await pending).toBe(alice);
    expect(memo.size).toBe(0);
  });

  it('keeps no refusal, and nothing while disabled or with a ttl of 0', async () => {
    const memo = new PrincipalMemo(60_000);
    const refused = counter(undefined);
    await memo.lookup('x', refused.load);
    await memo.lookup('x', refused.load);
    expect(refused.calls.count).toBe(2);
    const off = counter(alice);
    await memo.lookup('a', off.load, false);
    await memo.lookup('a', off.load, false);
    expect(off.calls.count).toBe(2);
    const zero = new PrincipalMemo(0);
    const uncached = counter(alice);
    await zero.lookup('a', uncached.load);
    await zero.lookup('a', uncached.load);
    expect(uncached.calls.count).toBe(2);
  });
});
