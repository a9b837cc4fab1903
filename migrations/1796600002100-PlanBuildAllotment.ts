import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Builds get CPU and memory of their own (issue #16): one core and 1 GB by default, and on a plan whose
 * replicas are larger, the replica size (a build was never smaller than the replica before).
 */
export class PlanBuildAllotment1796600002100 implements MigrationInterface {
  name = 'PlanBuildAllotment1796600002100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" ADD "build_memory_mb" integer NOT NULL DEFAULT '1024'`);
    await queryRunner.query(`ALTER TABLE "plans" ADD "build_cpu_millis" integer NOT NULL DEFAULT '1000'`);
    await queryRunner.query(
      `UPDATE "plans" SET "build_memory_mb" = GREATEST("build_memory_mb", "memory_mb"), "build_cpu_millis" = GREATEST("build_cpu_millis", "cpu_millis")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "build_cpu_millis"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "build_memory_mb"`);
  }
}
