import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A token bucket per tenant for changes that start or stop containers, shared by every API process. */
export class TenantChangeBudgets1796600090000 implements MigrationInterface {
  name = 'TenantChangeBudgets1796600090000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tenant_change_budgets" ("tenant_id" uuid NOT NULL, "tokens" double precision NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_tenant_change_budgets" PRIMARY KEY ("tenant_id"), CONSTRAINT "FK_tenant_change_budgets_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tenant_change_budgets"`);
  }
}
