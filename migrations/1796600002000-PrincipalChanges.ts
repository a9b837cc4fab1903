import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change that can alter who a bearer is (a user's role, operator flag or removal; an API key's
 * revocation or scopes; a tenant's status or removal) sends a NOTIFY on `berth_principal_changes` when it
 * commits, whoever made it (any API process, a script, psql), so each API process drops the principals it
 * cached (libs/identity/principal-cache.ts). The payload is the tenant id ('' for platform keys).
 */
export class PrincipalChanges1796600002000 implements MigrationInterface {
  name = 'PrincipalChanges1796600002000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION berth_notify_principal_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        row_tenant uuid;
      BEGIN
        IF TG_TABLE_NAME = 'tenants' THEN
          row_tenant := OLD.id;
        ELSE
          row_tenant := OLD.tenant_id;
        END IF;
        PERFORM pg_notify('berth_principal_changes', coalesce(row_tenant::text, ''));
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_users" AFTER UPDATE OF "role", "is_operator", "tenant_id" OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_api_keys" AFTER UPDATE OF "revoked_at", "scopes", "tenant_id", "key_hash" OR DELETE ON "api_keys" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "principal_change_tenants" AFTER UPDATE OF "status" OR DELETE ON "tenants" FOR EACH ROW EXECUTE FUNCTION berth_notify_principal_change()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "principal_change_tenants" ON "tenants"`);
    await queryRunner.query(`DROP TRIGGER "principal_change_api_keys" ON "api_keys"`);
    await queryRunner.query(`DROP TRIGGER "principal_change_users" ON "users"`);
    await queryRunner.query(`DROP FUNCTION berth_notify_principal_change()`);
  }
}
