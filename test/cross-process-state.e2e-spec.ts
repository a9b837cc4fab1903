import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AppChanges } from '../libs/apps/index.js';
import { ControlLoop } from '../libs/control-loop/index.js';
import { NotificationChannel } from '../libs/db/index.js';
import { createBerthDataSource as createDataSource } from '../libs/platform/index.js';
import { ProblemError } from '../libs/errors/index.js';
import { AddressLoginBackoff } from '../libs/identity/index.js';
import { StreamSlots } from '../libs/logs/index.js';
import { migratedDataSource } from './support/database.js';
import { waitFor } from './support/docker.js';

/**
 * What several API/worker processes share through PostgreSQL, each "process" here being a DataSource of
 * its own (its own pool, its own listening connection) on this run's database: app change notifications,
 * the address login backoff and the per-tenant log stream slots.
 */
describe('state shared by processes on one PostgreSQL', () => {
  let first: DataSource;
  let second: DataSource;

  beforeAll(async () => {
    first = await migratedDataSource();
    second = createDataSource(process.env.DATABASE_URL!);
    await second.initialize();
  });

  afterAll(async () => {
    await first?.destroy();
    await second?.destroy();
  });

  describe('AppChanges', () => {
    let changesA: AppChanges;
    let changesB: AppChanges;
    const heardA: string[] = [];
    const heardB: string[] = [];

    beforeAll(async () => {
      changesA = new AppChanges(first);
      changesB = new AppChanges(second);
      await changesA.onModuleInit();
      await changesB.onModuleInit();
      changesA.onChange((id) => heardA.push(id));
      changesB.onChange((id) => heardB.push(id));
    });

    afterAll(async () => {
      await changesA?.onApplicationShutdown();
      await changesB?.onApplicationShutdown();
    });

    it('tells its own process at once and the other through PostgreSQL, never its own twice', async () => {
      const [one, two] = [crypto.randomUUID(), crypto.randomUUID()];
      const sent = changesA.notify(one);
      expect(heardA).toEqual([one]); // before the NOTIFY even left
      await sent;
      await waitFor('the other process to hear it', async () => heardB.includes(one));
      await changesB.notify(two);
      // Notifications reach a listener in commit order: A's echo of `one`, had it been kept, came first.
      await waitFor('the first process to hear the second', async () => heardA.includes(two));
      expect(heardA).toEqual([one, two]);
      expect(heardB).toEqual([one, two]);
    });

    it('sends a change made in a transaction on commit only, to every process including its own', async () => {
      const [rolledBack, committed] = [crypto.randomUUID(), crypto.randomUUID()];
      heardA.length = 0;
      heardB.length = 0;
      await expect(
        first.transaction(async (manager) => {
          await changesA.notify(rolledBack, manager);
          throw new Error('the change fails');
        }),
      ).rejects.toThrow('the change fails');
      await first.transaction(async (manager) => {
        await changesA.notify(committed, manager);
        expect(heardA).toEqual([]); // not before the commit
      });
      await waitFor('both processes to hear the commit', async () =>
        heardA.includes(committed) && heardB.includes(committed) ? true : undefined,
      );
      expect(heardA).toEqual([committed]);
      expect(heardB).toEqual([committed]);
    });
  });

  it('a notification channel listens again after its session is killed', async () => {
    const channel = `berth_test_${crypto.randomBytes(4).toString('hex')}`;
    const heard: string[] = [];
    const listener = new NotificationChannel({
      channel,
      dataSource: second,
      onMessage: ({ payload }) => heard.push(payload),
    });
    try {
      await listener.open();
      const killed = listener.sessionPid!;
      expect(killed).toEqual(expect.any(Number));
      await first.query('SELECT pg_terminate_backend($1)', [killed]);
      await waitFor('the channel to listen on a new session', async () =>
        listener.listening && listener.sessionPid !== killed ? true : undefined,
      );
      await first.query('SELECT pg_notify($1, $2)', [channel, 'after the reconnect']);
      await waitFor('the notification', async () => heard.includes('after the reconnect'));
    } finally {
      await listener.close();
    }
  });

  it('runs a loop in one process at a time, and a stopped leader frees it for the other at once', async () => {
    // A lock of this test only, so no real loop of another test is disturbed.
    const lockKey = 7_390_000 + crypto.randomInt(0, 10_000);
    const passes = { first: 0, second: 0 };
    const loop = (on: DataSource, name: 'first' | 'second') =>
      new ControlLoop({
        name: `test-loop-${name}`,
        lockKey,
        intervalMs: 30,
        dataSource: on,
        work: async () => {
          passes[name] += 1;
        },
      });
    const leader = loop(first, 'first');
    const standby = loop(second, 'second');
    try {
      leader.start();
      await waitFor('a few passes of the leader', async () => passes.first >= 5);
      standby.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(passes.second).toBe(0);
      // The leader took its lock once, however many passes it ran: one unlock frees it. (A lock stacked per
      // pass stayed held by the pooled connection until the pool closed it, 10 s idle.)
      await leader.stop();
      standby.wake();
      await waitFor('the other process to run the loop', async () => passes.second > 0, { timeoutMs: 6000 });
    } finally {
      await leader.stop();
      await standby.stop();
    }
  });

  describe('AddressLoginBackoff', () => {
    // Documentation addresses (RFC 5737): only ever a key in the table, no traffic.
    const address = () => `192.0.2.${crypto.randomInt(1, 255)}-${crypto.randomBytes(3).toString('hex')}`;

    it('counts failures from any process and clears them on a success in any process', async () => {
      const onA = new AddressLoginBackoff(first, { freeFailures: 2 });
      const onB = new AddressLoginBackoff(second, { freeFailures: 2 });
      const client = address();
      await onA.recordFailure(client);
      expect(await onB.retryAfterSeconds(client)).toBe(0);
      await onA.recordFailure(client);
      expect(await onB.retryAfterSeconds(client)).toBe(1);
      await Promise.all([onA.recordFailure(client), onB.recordFailure(client), onB.recordFailure(client)]);
      // 5 failures, each counted once by the single-statement upsert: 2^(5-2) s.
      expect(await onA.retryAfterSeconds(client)).toBe(8);
      await onB.recordSuccess(client);
      expect(await onA.retryAfterSeconds(client)).toBe(0);
    });

    it('starts over after a quiet while, and prunes forgotten rows', async () => {
      const backoff = new AddressLoginBackoff(first, { freeFailures: 1, forgetAfterMs: 60_000 });
      const client = address();
      await backoff.recordFailure(client);
      await backoff.recordFailure(client);
      expect(await backoff.retryAfterSeconds(client)).toBe(2);
      await first.query(
        `UPDATE login_address_failures SET last_failure_at = now() - interval '61 seconds' WHERE address = $1`,
        [client],
      );
      expect(await backoff.retryAfterSeconds(client)).toBe(0);
      await backoff.recordFailure(client);
      expect(await backoff.retryAfterSeconds(client)).toBe(1); // one failure, not three
      const stale = address();
      await backoff.recordFailure(stale);
      await first.query(
        `UPDATE login_address_failures SET last_failure_at = now() - interval '2 hours' WHERE address = $1`,
        [stale],
      );
      await new AddressLoginBackoff(first).prune();
      const left = (await first.query(
        'SELECT address FROM login_address_failures WHERE address = ANY($1::text[])',
        [[client, stale]],
      )) as { address: string }[];
      expect(left.map((row) => row.address)).toEqual([client]);
    });
  });

  describe('StreamSlots', () => {
    let tenantId: string;
    const processes: StreamSlots[] = [];
    const slots = (options: { perTenant: number; ttlMs?: number; renewEveryMs?: number }, on = first) => {
      const made = new StreamSlots(on, options);
      processes.push(made);
      return made;
    };

    beforeAll(async () => {
      const [row] = (await first.query(
        `INSERT INTO tenants (name, plan_id) VALUES ('slots', 'free') RETURNING id`,
      )) as { id: string }[];
      tenantId = row.id;
    });

    afterAll(async () => {
      for (const made of processes) await made.close();
      await first.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
    });

    const refusal = (attempt: Promise<unknown>) =>
      attempt.then(
        () => undefined,
        (error: unknown) => (error instanceof ProblemError ? `${error.status} ${error.code}` : String(error)),
      );

    it('holds the limit across processes, and frees a slot in every process when it is given back', async () => {
      const onA = slots({ perTenant: 2 });
      const onB = slots({ perTenant: 2 }, second);
      const releaseFirst = await onA.acquire(tenantId);
      const releaseSecond = await onA.acquire(tenantId);
      expect(await refusal(onB.acquire(tenantId))).toBe('429 stream_limit_reached');
      releaseFirst();
      releaseFirst(); // a second call gives nothing more back
      await waitFor('the slot to be free', async () =>
        (await onB.count(tenantId)) === 1 ? true : undefined,
      );
      const releaseOnB = await onB.acquire(tenantId);
      expect(await refusal(onA.acquire(tenantId))).toBe('429 stream_limit_reached');
      releaseSecond();
      releaseOnB();
      await waitFor('every slot to be free', async () =>
        (await onA.count(tenantId)) === 0 ? true : undefined,
      );
    });

    it('grants exactly the limit to concurrent acquisitions from two processes', async () => {
      const onA = slots({ perTenant: 3 });
      const onB = slots({ perTenant: 3 }, second);
      const attempts = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? onA : onB).acquire(tenantId)),
      );
      const granted = attempts.filter((a) => a.status === 'fulfilled') as PromiseFulfilledResult<
        () => void
      >[];
      expect(granted).toHaveLength(3);
      expect(await onA.count(tenantId)).toBe(3);
      for (const grant of granted) grant.value();
      await waitFor('every slot to be free', async () =>
        (await onA.count(tenantId)) === 0 ? true : undefined,
      );
    });

    it("frees a dead process's slots when they expire, while a live process renews its own", async () => {
      const live = slots({ perTenant: 2, ttlMs: 1500, renewEveryMs: 300 });
      // A process that stops renewing (as if killed): its slot is not given back, it lapses.
      const dead = slots({ perTenant: 2, ttlMs: 1500, renewEveryMs: 3_600_000 }, second);
      const other = slots({ perTenant: 2 }, second);
      await live.acquire(tenantId);
      await dead.acquire(tenantId);
      expect(await refusal(other.acquire(tenantId))).toBe('429 stream_limit_reached');
      await waitFor(
        "the dead process's slot to lapse",
        async () => ((await refusal(other.acquire(tenantId))) === undefined ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 250 },
      );
      // The live slot outlived its ttl several times over: still counted.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await other.count(tenantId)).toBe(2);
    });
  });
});
