import type { MigrationInterface, QueryRunner } from 'typeorm';

export class HealthChecks1796600003000 implements MigrationInterface {
  name = 'HealthChecks1796600003000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "apps" ADD "health_check" jsonb`);
    await queryRunner.query(`ALTER TABLE "apps" ADD "last_auto_rollback" jsonb`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "health_check" jsonb`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "rolled_out_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "failure_reason" character varying(500)`);
    // Releases from before health checks count as rolled out when made: no window reopens for them.
    await queryRunner.query(`UPDATE "releases" SET "rolled_out_at" = "created_at"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "failure_reason"`);
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "rolled_out_at"`);
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "health_check"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "last_auto_rollback"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "health_check"`);
  }
}
