import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The plans a fresh Berth offers; operators change them through /v1/admin/plans afterwards. */
export class SeedPlans1795443800000 implements MigrationInterface {
  name = 'SeedPlans1795443800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      INSERT INTO "plans" ("id", "name", "memory_mb", "cpu_millis", "max_apps", "max_replicas_per_app",
        "max_total_memory_mb", "load_balancer_allowed", "max_upload_mb", "build_timeout_seconds",
        "concurrent_builds", "is_default")
      VALUES
        ('free',     'Free',      128,  250,  2,  2,   512, false, 10,  300, 1, true),
        ('hobby',    'Hobby',     256,  500,  5,  5,  2048, true,  25,  600, 2, false),
        ('pro',      'Pro',       512, 1000, 20, 10,  8192, true,  50,  900, 4, false),
        ('business', 'Business', 1024, 2000, 50, 20, 32768, true, 100, 1800, 8, false)
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "plans" WHERE "id" IN ('free', 'hobby', 'pro', 'business')`);
  }
}
