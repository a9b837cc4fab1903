import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BuildRetention1796600001000 implements MigrationInterface {
  name = 'BuildRetention1796600001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" ADD "build_retention" integer NOT NULL DEFAULT '20'`);
    await queryRunner.query(`ALTER TABLE "builds" ADD "expired_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "builds" ADD "image_removed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "releases" ADD "image_removed_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "image_removed_at"`);
    await queryRunner.query(`ALTER TABLE "builds" DROP COLUMN "image_removed_at"`);
    await queryRunner.query(`ALTER TABLE "builds" DROP COLUMN "expired_at"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "build_retention"`);
  }
}
