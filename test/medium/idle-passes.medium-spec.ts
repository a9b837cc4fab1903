import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import { BuildsRepository } from '../../libs/builds/index.js';
import { WebhooksRepository } from '../../libs/webhooks/index.js';
import { migratedDataSource } from '../support/database.js';
import { newTenant, queuedBuildInput, resetRuntimeTables } from './support/runtime-process.js';

/**
 * What the control loops send to PostgreSQL when there is nothing to do, on real PostgreSQL: every
 * statement of a loop's pass costs the process that streams logs a slice of its event loop, so an idle
 * pass is one read, and the work it guards still happens when there is some.
 */
describe('idle passes (medium)', () => {
  let db: DataSource;
  const statements: string[] = [];

  beforeAll(async () => {
    db = await migratedDataSource();
    // TypeORM announces every statement to its subscribers before sending it.
    const counter: EntitySubscriberInterface = { beforeQuery: (event) => void statements.push(event.query) };
    db.subscribers.push(counter);
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await resetRuntimeTables(db);
  });

  async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    statements.length = 0;
    const result = await work();
    return { result, statements: [...statements] };
  }

  it('a build claim with nothing queued is one read, and a queued build is still claimed', async () => {
    const builds = new BuildsRepository(db);
    const idle = await counted(() => builds.claimNext('worker-a'));
    expect(idle.result).toBeUndefined();
    expect(idle.statements).toHaveLength(1);

    const tenant = await newTenant(db);
    const queued = await db.transaction((manager) =>
      builds.insertQueued(manager, queuedBuildInput(tenant.tenantId!)),
    );
    expect((await builds.claimNext('worker-a'))?.id).toBe(queued.id);
  });

  it('a webhook fan-out with no new event is one read, and a new event is still read', async () => {
    const webhooks = new WebhooksRepository(db);
    // Other specs' passes leave a cursor behind and gaps (sequence numbers their rollbacks skipped),
    // which a pass rightly looks at again for two minutes.
    await db.query('TRUNCATE webhook_dispatch_cursor, webhook_dispatch_gaps');
    await webhooks.fanOut(500); // makes the cursor at the newest event
    const idle = await counted(() => webhooks.fanOut(500));
    expect(idle.result).toBe(0);
    expect(idle.statements).toHaveLength(1);

    const tenant = await newTenant(db);
    await db.query(
      `INSERT INTO events (tenant_id, type, subject, data) VALUES ($1, 'app.stopped', 'app:x', '{}')`,
      [tenant.tenantId],
    );
    expect(await webhooks.fanOut(500)).toBe(1);
  });
});
