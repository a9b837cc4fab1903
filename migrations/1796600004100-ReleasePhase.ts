import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The release phase: a command per app (API) and, per release, the command, its phase and its run. */

export class ReleasePhase1796600004100 implements MigrationInterface {
  name = 'ReleasePhase1796600004100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "apps" ADD "release_command" jsonb`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "release_command" jsonb`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "release_phase" character varying(12)`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "release_run_id" uuid`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "release_phase_reason" character varying(500)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "release_phase_reason"`);
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "release_run_id"`);
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "release_phase"`);
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "release_command"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "release_command"`);
  }
}
