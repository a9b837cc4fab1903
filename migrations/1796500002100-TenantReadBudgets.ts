import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A token bucket per tenant for heavy reads (log pages and reads, usage exports), shared by every API process. */
export class TenantReadBudgets1796500002100 implements MigrationInterface {
  name = 'TenantReadBudgets1796500002100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tenant_read_budgets" ("tenant_id" uuid NOT NULL, "tokens" double precision NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_tenant_read_budgets" PRIMARY KEY ("tenant_id"), CONSTRAINT "FK_tenant_read_budgets_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tenant_read_budgets"`);
  }
}
