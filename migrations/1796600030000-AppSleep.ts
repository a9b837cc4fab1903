import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scale to zero: plans that allow it, an app's idle time before it sleeps, when it fell asleep, and when
 * the router last saw a request for it; `app.slept` / `app.woke` in the event feed.
 */
export class AppSleep1796600030000 implements MigrationInterface {
  name = 'AppSleep1796600030000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" ADD "scale_to_zero" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `UPDATE "plans" SET "scale_to_zero" = true WHERE "id" IN ('free', 'hobby', 'pro', 'business')`,
    );
    await queryRunner.query(`ALTER TABLE "apps" ADD "sleep_after_idle_seconds" integer`);
    await queryRunner.query(`ALTER TABLE "apps" ADD "sleeping_since" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "apps" ADD "last_request_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`
      CREATE FUNCTION berth_sleep_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.sleeping_since IS NOT NULL AND OLD.sleeping_since IS NULL THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'app.slept', 'app:' || NEW.name,
            jsonb_build_object('afterIdleSeconds', NEW.sleep_after_idle_seconds,
              'lastRequestAt', NEW.last_request_at));
        ELSIF NEW.sleeping_since IS NULL AND OLD.sleeping_since IS NOT NULL THEN
          PERFORM berth_event(NEW.tenant_id, NEW.id, 'app.woke', 'app:' || NEW.name,
            jsonb_build_object('sleptSince', OLD.sleeping_since));
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER berth_sleep_events AFTER UPDATE OF sleeping_since ON apps FOR EACH ROW EXECUTE FUNCTION berth_sleep_events()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS berth_sleep_events ON apps`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS berth_sleep_events()`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "last_request_at"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "sleeping_since"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "sleep_after_idle_seconds"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "scale_to_zero"`);
  }
}
