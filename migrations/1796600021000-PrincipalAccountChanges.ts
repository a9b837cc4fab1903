import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cached principals now carry what GET /v1/me shows of the caller's user and tenant (libs/identity,
 * PrincipalAccount), so a change to any of those columns must drop them like a change of role or
 * standing: the triggers of PrincipalChanges also fire on a user's email and creation time and on a
 * tenant's name, plan, kind and creation time. Same function, same channel.
 */
export class PrincipalAccountChanges1796600021000 implements MigrationInterface {
  name = 'PrincipalAccountChanges1796600021000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "principal_change_users" ON "users"`);
    await queryRunner.query(`DROP TRIGGER "principal_change_tenants" ON "tenants"`);
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_users" AFTER UPDATE OF "role", "is_operator", "tenant_id", "email", "created_at" OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_tenants" AFTER UPDATE OF "status", "name", "plan_id", "kind", "created_at" OR DELETE ON "tenants" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "principal_change_users" ON "users"`);
    await queryRunner.query(`DROP TRIGGER "principal_change_tenants" ON "tenants"`);
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_users" AFTER UPDATE OF "role", "is_operator", "tenant_id" OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_tenants" AFTER UPDATE OF "status" OR DELETE ON "tenants" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
  }
}
