import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention of what tenants make without bound (libs/retention): per plan, days of events and finished runs
 * per app whose output is kept; when a run's output was deleted; indexes the deletions walk in age order.
 */
export class Retention1796600022000 implements MigrationInterface {
  name = 'Retention1796600022000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" ADD "event_retention_days" integer NOT NULL DEFAULT '7'`);
    await queryRunner.query(`ALTER TABLE "plans" ADD "run_retention" integer NOT NULL DEFAULT '50'`);
    await queryRunner.query(`ALTER TABLE "one_off_runs" ADD "expired_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE INDEX "IDX_497bb4f7c4c55db9749616cd2a" ON "audit_events"  ("created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_367cefe47aca55e038da95f147" ON "webhook_deliveries"  ("finished_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_16799264a4ae6a8691775b6595" ON "events"  ("tenant_id", "created_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_16799264a4ae6a8691775b6595"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_367cefe47aca55e038da95f147"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_497bb4f7c4c55db9749616cd2a"`);
    await queryRunner.query(`ALTER TABLE "one_off_runs" DROP COLUMN "expired_at"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "run_retention"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "event_retention_days"`);
  }
}
