import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The manifest digest a release's image was pushed with; NULL for releases made without a registry. */
export class ReleaseImageDigest1795445313000 implements MigrationInterface {
  name = 'ReleaseImageDigest1795445313000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "releases" ADD "image_digest" character varying(80)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "releases" DROP COLUMN "image_digest"`);
  }
}
