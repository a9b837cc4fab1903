import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `rollout.rolled_back` in the event feed: written when the health checks roll an app back by themselves. */
export class RolledBackEvents1796600009100 implements MigrationInterface {
  name = 'RolledBackEvents1796600009100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION berth_auto_rollback_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.last_auto_rollback IS NOT NULL AND NEW.last_auto_rollback IS DISTINCT FROM OLD.last_auto_rollback THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'rollout.rolled_back',
            'release:' || (NEW.last_auto_rollback->>'fromVersion'),
            jsonb_build_object('fromVersion', (NEW.last_auto_rollback->>'fromVersion')::integer,
              'toVersion', (NEW.last_auto_rollback->>'toVersion')::integer,
              'reason', left(NEW.last_auto_rollback->>'reason', 300)));
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_auto_rollback_events AFTER UPDATE OF last_auto_rollback ON apps FOR EACH ROW EXECUTE FUNCTION berth_auto_rollback_events()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS berth_auto_rollback_events ON apps`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS berth_auto_rollback_events()`);
  }
}
