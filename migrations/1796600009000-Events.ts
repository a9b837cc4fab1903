import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant event feed. Row changes write their events through triggers, in the transaction of the
 * change: no code path that changes a build, release, replica, app or domain can forget one, and an event
 * never exists for a change that rolled back. Each trigger keeps `data` small and bounded (ids, counts,
 * states, an error cut at 300 characters) and never copies a secret column (env, keys, certificates).
 */
export class Events1796600009000 implements MigrationInterface {
  name = 'Events1796600009000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "events" ("seq" BIGSERIAL NOT NULL, "tenant_id" uuid NOT NULL, "app_id" uuid, "type" character varying(60) NOT NULL, "subject" character varying(300), "data" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_44840d7c5944a3bfbf21a6113d8" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_7ebab07668bb225b6a04782a7d" ON "events" ("created_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_6e1f8b43d4add9857f859e1868" ON "events" ("app_id", "seq") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_14cea8b3f6ee9b975a5ed30fb8" ON "events" ("tenant_id", "seq") `,
    );

    await queryRunner.query(`
      CREATE FUNCTION berth_event(p_tenant uuid, p_app uuid, p_type text, p_subject text, p_data jsonb)
      RETURNS void LANGUAGE sql AS $$
        INSERT INTO events (tenant_id, app_id, type, subject, data)
        VALUES (p_tenant, p_app, p_type, left(p_subject, 300), COALESCE(jsonb_strip_nulls(p_data), '{}'))
      $$`);

    await queryRunner.query(`
      CREATE FUNCTION berth_build_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- 'receiving' is a reserved slot, not yet a build: it becomes one when it turns 'queued'.
        IF NEW.status = 'receiving' OR (TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status) THEN
          RETURN NEW;
        END IF;
        PERFORM berth_event(NEW.tenant_id, NEW.app_id,
          'build.' || CASE NEW.status WHEN 'running' THEN 'started' ELSE NEW.status END, 'build:' || NEW.id,
          jsonb_build_object('buildId', NEW.id,
            'error', CASE WHEN NEW.status IN ('failed', 'cancelled') THEN left(NEW.error, 300) END));
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_build_events AFTER INSERT OR UPDATE OF status ON builds FOR EACH ROW EXECUTE FUNCTION berth_build_events()`,
    );

    await queryRunner.query(`
      CREATE FUNCTION berth_release_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM berth_event(NEW.tenant_id, NEW.app_id, 'release.created', 'release:' || NEW.version,
          jsonb_build_object('version', NEW.version, 'buildId', NEW.build_id,
            'description', left(NEW.description, 200), 'createdBy', NEW.created_by));
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_release_events AFTER INSERT ON releases FOR EACH ROW EXECUTE FUNCTION berth_release_events()`,
    );

    await queryRunner.query(`
      CREATE FUNCTION berth_replica_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        facts jsonb := jsonb_build_object('replicaId', NEW.id, 'role', NEW.role, 'hostId', NEW.host_id,
          'restarts', NEW.restarts);
      BEGIN
        IF NEW.state IS NOT DISTINCT FROM OLD.state THEN RETURN NEW; END IF;
        IF NEW.state = 'running' THEN
          PERFORM berth_event(NEW.tenant_id, NEW.app_id,
            -- A crashed replica comes back through 'starting': its restart count tells a restart from a first start.
            CASE WHEN NEW.restarts > 0 THEN 'replica.restarted' ELSE 'replica.started' END,
            'replica:' || NEW.id, facts);
        ELSIF NEW.state = 'crashed' THEN
          PERFORM berth_event(NEW.tenant_id, NEW.app_id,
            CASE WHEN NEW.oom_killed THEN 'replica.oom_killed' ELSE 'replica.crashed' END,
            'replica:' || NEW.id,
            facts || jsonb_build_object('exitCode', NEW.exit_code, 'error', left(NEW.last_error, 300)));
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_replica_events AFTER UPDATE OF state ON replicas FOR EACH ROW EXECUTE FUNCTION berth_replica_events()`,
    );

    await queryRunner.query(`
      CREATE FUNCTION berth_app_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        last_rollout text;
        version integer;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'app.created', 'app:' || NEW.name,
            jsonb_build_object('name', NEW.name, 'replicas', NEW.replicas));
          RETURN NEW;
        END IF;
        IF NEW.deleting_at IS NOT NULL AND OLD.deleting_at IS NULL THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'app.deleting', 'app:' || NEW.name, '{}');
        END IF;
        IF NEW.replicas IS DISTINCT FROM OLD.replicas THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'app.scaled', 'app:' || NEW.name,
            jsonb_build_object('from', OLD.replicas, 'to', NEW.replicas));
        END IF;
        IF NEW.desired_state IS DISTINCT FROM OLD.desired_state AND NEW.desired_state IN ('running', 'stopped') THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id,
            CASE NEW.desired_state WHEN 'running' THEN 'app.started' ELSE 'app.stopped' END, 'app:' || NEW.name, '{}');
        END IF;
        IF (NEW.load_balancer IS NULL) <> (OLD.load_balancer IS NULL) OR NEW.load_balancer IS DISTINCT FROM OLD.load_balancer THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id,
            CASE WHEN OLD.load_balancer IS NULL THEN 'balancer.enabled'
                 WHEN NEW.load_balancer IS NULL THEN 'balancer.disabled'
                 ELSE 'balancer.updated' END,
            'app:' || NEW.name, jsonb_build_object('settings', NEW.load_balancer));
        END IF;
        IF NEW.current_release_id IS DISTINCT FROM OLD.current_release_id AND NEW.current_release_id IS NOT NULL THEN
          SELECT r.version INTO version FROM releases r WHERE r.id = NEW.current_release_id;
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'rollout.started', 'release:' || version,
            jsonb_build_object('version', version,
              'fromVersion', (SELECT r.version FROM releases r WHERE r.id = OLD.current_release_id)));
        END IF;
        -- A rollout ends with the app's next settled phase: running (finished) or crashloop/failed (failed).
        IF NEW.phase IS DISTINCT FROM OLD.phase AND NEW.phase IN ('running', 'crashloop', 'failed') THEN
          SELECT e.type INTO last_rollout FROM events e
           WHERE e.app_id = NEW.id AND e.type LIKE 'rollout.%' ORDER BY e.seq DESC LIMIT 1;
          SELECT r.version INTO version FROM releases r WHERE r.id = NEW.current_release_id;
          IF last_rollout = 'rollout.started' THEN
            PERFORM berth_event(NEW.tenant_id, NEW.id,
              CASE WHEN NEW.phase = 'running' THEN 'rollout.finished' ELSE 'rollout.failed' END,
              'release:' || version,
              jsonb_build_object('version', version, 'reason', left(NEW.status_reason, 300)));
          END IF;
          IF NEW.phase IN ('crashloop', 'failed') THEN
            PERFORM berth_event(NEW.tenant_id, NEW.id, 'app.' || NEW.phase, 'app:' || NEW.name,
              jsonb_build_object('reason', left(NEW.status_reason, 300)));
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_app_events AFTER INSERT OR UPDATE ON apps FOR EACH ROW EXECUTE FUNCTION berth_app_events()`,
    );

    await queryRunner.query(`
      CREATE FUNCTION berth_domain_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM berth_event(NEW.tenant_id, NEW.app_id, 'domain.added', 'domain:' || NEW.hostname,
            jsonb_build_object('hostname', NEW.hostname));
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM berth_event(OLD.tenant_id, OLD.app_id, 'domain.removed', 'domain:' || OLD.hostname,
            jsonb_build_object('hostname', OLD.hostname));
          RETURN OLD;
        ELSE
          IF NEW.verified_at IS NOT NULL AND OLD.verified_at IS NULL THEN
            PERFORM berth_event(NEW.tenant_id, NEW.app_id, 'domain.verified', 'domain:' || NEW.hostname,
              jsonb_build_object('hostname', NEW.hostname));
          END IF;
          IF NEW.certificate_not_after IS DISTINCT FROM OLD.certificate_not_after THEN
            PERFORM berth_event(NEW.tenant_id, NEW.app_id, 'domain.certificate_updated', 'domain:' || NEW.hostname,
              jsonb_build_object('hostname', NEW.hostname, 'notAfter', NEW.certificate_not_after));
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_domain_events AFTER INSERT OR UPDATE OR DELETE ON app_domains FOR EACH ROW EXECUTE FUNCTION berth_domain_events()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, name] of [
      ['app_domains', 'berth_domain_events'],
      ['apps', 'berth_app_events'],
      ['replicas', 'berth_replica_events'],
      ['releases', 'berth_release_events'],
      ['builds', 'berth_build_events'],
    ]) {
      await queryRunner.query(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
      await queryRunner.query(`DROP FUNCTION IF EXISTS ${name}()`);
    }
    await queryRunner.query(`DROP FUNCTION IF EXISTS berth_event(uuid, uuid, text, text, jsonb)`);
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
