import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every committed change to what GET /v1/apps shows sends a NOTIFY on `berth_app_list_changes`, whoever
 * made it (an API process, the reconciler, a script, psql), so each API process drops the tenant's cached
 * list (libs/runtime/app-list-cache.ts). The payload is the tenant id, or '' for "every tenant" (a host's
 * public address, or a TRUNCATE of any of these tables). PostgreSQL folds identical notifications of one transaction into one, so a reconcile
 * pass that touches ten replicas of a tenant sends one.
 *
 * What the list reads (AppOverviewService.listOfTenant and the edge router's AppUrls): the tenant's app rows
 * (every column: the list hands out whole App entities), their current release (whole Release rows), the
 * running replicas' role, port, host and age, the hosts' public addresses, the tenant's name (default
 * hostnames) and verified custom domains (hostname, certificate or not). Changes to anything else (a
 * replica's restarts, a stopped replica, a host's heartbeat) send nothing.
 */
export class AppListChanges1796600070000 implements MigrationInterface {
  name = 'AppListChanges1796600070000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION berth_notify_app_list_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME = 'hosts' THEN
          PERFORM pg_notify('berth_app_list_changes', '');
        ELSIF TG_TABLE_NAME = 'tenants' THEN
          PERFORM pg_notify('berth_app_list_changes', OLD.id::text);
        ELSE
          IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('berth_app_list_changes', OLD.tenant_id::text);
          END IF;
          IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('berth_app_list_changes', NEW.tenant_id::text);
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    for (const sql of TRIGGERS) await queryRunner.query(sql);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name, table] of TRIGGER_NAMES)
      await queryRunner.query(`DROP TRIGGER "${name}" ON "${table}"`);
    await queryRunner.query(`DROP FUNCTION berth_notify_app_list_change()`);
  }
}

const NOTIFY = 'FOR EACH ROW EXECUTE FUNCTION berth_notify_app_list_change()';
/** The columns of a replica the list reads, compared before and after an update. */
const REPLICA_SHOWN = (row: string) =>
  `(${row}.state, ${row}.role, ${row}.host_port, ${row}.host_id, ${row}.app_id, ${row}.tenant_id, ${row}.created_at)`;
const DOMAIN_SHOWN = (row: string) =>
  `(${row}.hostname, ${row}.app_id, ${row}.tenant_id, ${row}.verified_at, ${row}.certificate_pem IS NULL)`;

const TRIGGER_NAMES: Array<[string, string]> = [
  ['app_list_apps_truncate', 'apps'],
  ['app_list_releases_truncate', 'releases'],
  ['app_list_replicas_truncate', 'replicas'],
  ['app_list_hosts_truncate', 'hosts'],
  ['app_list_tenants_truncate', 'tenants'],
  ['app_list_app_domains_truncate', 'app_domains'],
  ['app_list_apps_insert_delete', 'apps'],
  ['app_list_apps_update', 'apps'],
  ['app_list_releases_insert_delete', 'releases'],
  ['app_list_releases_update', 'releases'],
  ['app_list_replicas_insert', 'replicas'],
  ['app_list_replicas_delete', 'replicas'],
  ['app_list_replicas_update', 'replicas'],
  ['app_list_hosts', 'hosts'],
  ['app_list_hosts_delete', 'hosts'],
  ['app_list_tenants', 'tenants'],
  ['app_list_domains_insert', 'app_domains'],
  ['app_list_domains_delete', 'app_domains'],
  ['app_list_domains_update', 'app_domains'],
];

const TRIGGERS = [
  `CREATE TRIGGER "app_list_apps_truncate" AFTER TRUNCATE ON "apps" FOR EACH STATEMENT EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_releases_truncate" AFTER TRUNCATE ON "releases" FOR EACH STATEMENT EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_replicas_truncate" AFTER TRUNCATE ON "replicas" FOR EACH STATEMENT EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_hosts_truncate" AFTER TRUNCATE ON "hosts" FOR EACH STATEMENT EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_tenants_truncate" AFTER TRUNCATE ON "tenants" FOR EACH STATEMENT EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_app_domains_truncate" AFTER TRUNCATE ON "app_domains" FOR EACH STATEMENT EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_apps_insert_delete" AFTER INSERT OR DELETE ON "apps" ${NOTIFY}`,
  `CREATE TRIGGER "app_list_apps_update" AFTER UPDATE ON "apps"
     FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_releases_insert_delete" AFTER INSERT OR DELETE ON "releases" ${NOTIFY}`,
  `CREATE TRIGGER "app_list_releases_update" AFTER UPDATE ON "releases"
     FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_replicas_insert" AFTER INSERT ON "replicas"
     FOR EACH ROW WHEN (NEW.state = 'running') EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_replicas_delete" AFTER DELETE ON "replicas"
     FOR EACH ROW WHEN (OLD.state = 'running') EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_replicas_update" AFTER UPDATE ON "replicas"
     FOR EACH ROW WHEN ((OLD.state = 'running' OR NEW.state = 'running')
       AND ${REPLICA_SHOWN('OLD')} IS DISTINCT FROM ${REPLICA_SHOWN('NEW')})
     EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_hosts" AFTER UPDATE OF "public_address" ON "hosts"
     FOR EACH ROW WHEN (OLD.public_address IS DISTINCT FROM NEW.public_address)
     EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_hosts_delete" AFTER DELETE ON "hosts" ${NOTIFY}`,
  `CREATE TRIGGER "app_list_tenants" AFTER UPDATE OF "name" OR DELETE ON "tenants" ${NOTIFY}`,
  `CREATE TRIGGER "app_list_domains_insert" AFTER INSERT ON "app_domains"
     FOR EACH ROW WHEN (NEW.verified_at IS NOT NULL) EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_domains_delete" AFTER DELETE ON "app_domains"
     FOR EACH ROW WHEN (OLD.verified_at IS NOT NULL) EXECUTE FUNCTION berth_notify_app_list_change()`,
  `CREATE TRIGGER "app_list_domains_update" AFTER UPDATE ON "app_domains"
     FOR EACH ROW WHEN ((OLD.verified_at IS NOT NULL OR NEW.verified_at IS NOT NULL)
       AND ${DOMAIN_SHOWN('OLD')} IS DISTINCT FROM ${DOMAIN_SHOWN('NEW')})
     EXECUTE FUNCTION berth_notify_app_list_change()`,
];
