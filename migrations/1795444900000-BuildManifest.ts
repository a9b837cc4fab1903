import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BuildManifest1795444900000 implements MigrationInterface {
  name = 'BuildManifest1795444900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "builds" ADD "manifest" jsonb NOT NULL DEFAULT '{}'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "builds" DROP COLUMN "manifest"`);
  }
}
