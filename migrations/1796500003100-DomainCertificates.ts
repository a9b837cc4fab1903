import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DomainCertificates1796500003100 implements MigrationInterface {
  name = 'DomainCertificates1796500003100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "certificate_pem" text`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "key_sealed" text`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "certificate_not_after" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "certificate_not_after"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "key_sealed"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "certificate_pem"`);
  }
}
