import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AcmeCertificates1796600005000 implements MigrationInterface {
  name = 'AcmeCertificates1796600005000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "acme_accounts" ("directory_url" character varying(500) NOT NULL, "key_sealed" text NOT NULL, "account_url" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b98524e9b85d940025f4284f7c8" PRIMARY KEY ("directory_url"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "acme_challenges" ("token" character varying(128) NOT NULL, "hostname" character varying(253) NOT NULL, "key_authorization" character varying(300) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6232867069c2f3bcbed269bc8e2" PRIMARY KEY ("token"))`,
    );
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "certificate_source" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "certificate_issuer" character varying(300)`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "acme_status" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "acme_error" character varying(500)`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "acme_attempts" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "app_domains" ADD "acme_next_attempt_at" TIMESTAMP WITH TIME ZONE`);
    // Certificates uploaded before this migration.
    await queryRunner.query(
      `UPDATE "app_domains" SET "certificate_source" = 'uploaded' WHERE "certificate_pem" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_app_domains_acme_next_attempt" ON "app_domains"  ("acme_next_attempt_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_app_domains_acme_next_attempt"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "acme_next_attempt_at"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "acme_attempts"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "acme_error"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "acme_status"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "certificate_issuer"`);
    await queryRunner.query(`ALTER TABLE "app_domains" DROP COLUMN "certificate_source"`);
    await queryRunner.query(`DROP TABLE "acme_challenges"`);
    await queryRunner.query(`DROP TABLE "acme_accounts"`);
  }
}
