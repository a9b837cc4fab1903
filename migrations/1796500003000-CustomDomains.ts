import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CustomDomains1796500003000 implements MigrationInterface {
  name = 'CustomDomains1796500003000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "app_domains" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "app_id" uuid NOT NULL, "hostname" character varying(253) NOT NULL, "verification_token" character varying(64) NOT NULL, "verified_at" TIMESTAMP WITH TIME ZONE, "last_error" character varying(300), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0d44b357b4dd9919f98a714778a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_app_domains_app" ON "app_domains"  ("app_id") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_app_domains_verified_hostname" ON "app_domains"  ("hostname") WHERE verified_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_app_domains_tenant_hostname" ON "app_domains"  ("tenant_id", "hostname") `,
    );
    await queryRunner.query(`ALTER TABLE "plans" ADD "max_custom_domains" integer NOT NULL DEFAULT '0'`);
    // The seeded paid plans get some; the free plan (and any plan an operator made) none until raised.
    await queryRunner.query(
      `UPDATE "plans" SET "max_custom_domains" = CASE "id" WHEN 'hobby' THEN 2 WHEN 'pro' THEN 10 WHEN 'business' THEN 50 ELSE 0 END`,
    );
    await queryRunner.query(
      `ALTER TABLE "app_domains" ADD CONSTRAINT "FK_ef20c7f5efc5dc6efe5d483e794" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "app_domains" DROP CONSTRAINT "FK_ef20c7f5efc5dc6efe5d483e794"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "max_custom_domains"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_app_domains_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_app_domains_verified_hostname"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_app_domains_app"`);
    await queryRunner.query(`DROP TABLE "app_domains"`);
  }
}
