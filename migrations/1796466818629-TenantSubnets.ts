import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantSubnets1796466818629 implements MigrationInterface {
  name = 'TenantSubnets1796466818629';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tenant_subnets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "host_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "subnet" cidr NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_tenant_subnets_host_tenant" UNIQUE ("host_id", "tenant_id"), CONSTRAINT "EX_tenant_subnets_no_overlap" EXCLUDE USING gist ("subnet" inet_ops WITH &&), CONSTRAINT "PK_ad6c9fd4461d87c7a0bb3c1717c" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tenant_subnets"`);
  }
}
