import { describe, expect, it } from '@jest/globals';
import { TenantListMemo } from './tenant-list-memo.js';

/** A load that counts its calls and answers a fresh array naming the call. */
function counted(tenant: string) {
  const calls = { count: 0 };
  const load = async () => {
    calls.count++;
    return [`${tenant} read ${calls.count}`];
  };
  return { calls, load };
}

/** A load that answers only when released, to hold a read in flight. */
function held(answer: string[]) {
  let release!: () => void;
  const load = () =>
    new Promise<string[]>((resolve) => {
      release = () => resolve(answer);
    });
  return { load, release: () => release() };
}

describe('TenantListMemo', () => {
  it('reads a tenant once until its entry is ttl old', async () => {
    let now = 0;
    const memo = new TenantListMemo<string[]>(1000, 10, () => now);
    const { calls, load } = counted('t1');
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 1']);
    now = 999;
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 1']);
    now = 1000;
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 2']);
    expect(calls.count).toBe(2);
  });

  it('keeps tenants apart, and a change of one drops only its list', async () => {
    const memo = new TenantListMemo<string[]>(60_000);
    const one = counted('t1');
    const two = counted('t2');
    await memo.lookup('t1', one.load);
    await memo.lookup('t2', two.load);
    memo.forget('t1');
    expect(await memo.lookup('t1', one.load)).toEqual(['t1 read 2']);
    expect(await memo.lookup('t2', two.load)).toEqual(['t2 read 1']);
    memo.forgetAll();
    expect(await memo.lookup('t2', two.load)).toEqual(['t2 read 2']);
  });

  it('does not keep a read that was in flight when a change of its tenant was heard', async () => {
    const memo = new TenantListMemo<string[]>(60_000);
    const slow = held(['before the change']);
    const pending = memo.lookup('t1', slow.load);
    memo.forget('t1');
    const fresh = counted('t1');
    // A lookup after the change does not join the old read.
    expect(await memo.lookup('t1', fresh.load)).toEqual(['t1 read 1']);
    slow.release();
    expect(await pending).toEqual(['before the change']);
    expect(await memo.lookup('t1', fresh.load)).toEqual(['t1 read 1']);
    expect(fresh.calls.count).toBe(1);
  });

  it('shares one read between lookups that arrive while it runs', async () => {
    const memo = new TenantListMemo<string[]>(60_000);
    const slow = held(['shared']);
    const first = memo.lookup('t1', slow.load);
    const other = counted('t1');
    const second = memo.lookup('t1', other.load);
    slow.release();
    expect(await first).toEqual(['shared']);
    expect(await second).toEqual(['shared']);
    expect(other.calls.count).toBe(0);
    expect(memo.snapshot()).toMatchObject({ loads: 1, hits: 0 });
  });

  it('reads a fenced tenant from the database every time and keeps nothing until the fence is lifted', async () => {
    const memo = new TenantListMemo<string[]>(60_000);
    const { load } = counted('t1');
    await memo.lookup('t1', load);
    const lift = memo.fence('t1');
    const liftOther = memo.fence('t1');
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 2']);
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 3']);
    lift();
    lift(); // once only: the second fence still holds
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 4']);
    liftOther();
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 5']);
    expect(await memo.lookup('t1', load)).toEqual(['t1 read 5']);
    expect(memo.snapshot()).toMatchObject({ bypasses: 3, hits: 1 });
  });

  it('a fence drops a read in flight that started before it', async () => {
    const memo = new TenantListMemo<string[]>(60_000);
    const slow = held(['before the write']);
    const pending = memo.lookup('t1', slow.load);
    memo.fence('t1')();
    slow.release();
    await pending;
    expect(memo.size).toBe(0);
  });

  it('drops the least recently read tenant past its bound', async () => {
    const memo = new TenantListMemo<string[]>(60_000, 2);
    const loads = { t1: counted('t1'), t2: counted('t2'), t3: counted('t3') };
    await memo.lookup('t1', loads.t1.load);
    await memo.lookup('t2', loads.t2.load);
    await memo.lookup('t1', loads.t1.load); // t1 read again: t2 is now the oldest
    await memo.lookup('t3', loads.t3.load);
    expect(memo.size).toBe(2);
    await memo.lookup('t1', loads.t1.load);
    await memo.lookup('t2', loads.t2.load);
    expect(loads.t1.calls.count).toBe(1);
    expect(loads.t2.calls.count).toBe(2);
  });

  it('keeps nothing when off (ttl 0 or not listening) or when the read fails', async () => {
    for (const [ttl, enabled] of [
      [0, true],
      [60_000, false],
    ] as const) {
      const memo = new TenantListMemo<string[]>(ttl);
      const { calls, load } = counted('t1');
      await memo.lookup('t1', load, enabled);
      await memo.lookup('t1', load, enabled);
      expect(calls.count).toBe(2);
    }
    const memo = new TenantListMemo<string[]>(60_000);
    await expect(memo.lookup('t1', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    const { calls, load } = counted('t1');
    await memo.lookup('t1', load);
    expect(calls.count).toBe(1);
  });
});
