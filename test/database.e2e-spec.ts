import { describe, expect, it } from '@jest/globals';
import { migratedDataSource } from './support/database.js';

describe('database schema', () => {
  it('has no pending migration: the entities and migrations/ describe the same schema', async () => {
    const dataSource = await migratedDataSource();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      const plans = await dataSource.query(
        "SELECT id FROM plans WHERE id IN ('free', 'hobby', 'pro', 'business') ORDER BY memory_mb",
      );
      expect(plans.map((p: { id: string }) => p.id)).toEqual(['free', 'hobby', 'pro', 'business']);
    } finally {
      await dataSource.destroy();
    }
  });
});
