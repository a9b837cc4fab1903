import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable app logs (docs/logs.md, "Durable logs"): per plan the days lines are kept and the MB an app may
 * keep per day; `app_log_lines` partitioned by the day its lines expire (one partition per day, created
 * ahead and dropped whole by the archiver, never a DELETE scan); per replica the last archived position;
 * per app and day what was kept and what was not. Not TypeORM entities: TypeORM cannot describe a
 * partitioned table, and libs/logs/archive/log-archive-store.ts holds all their SQL.
 */
export class DurableLogs1796600050000 implements MigrationInterface {
  name = 'DurableLogs1796600050000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" ADD "log_retention_days" integer NOT NULL DEFAULT '1'`);
    await queryRunner.query(`ALTER TABLE "plans" ADD "log_mb_per_day" integer NOT NULL DEFAULT '100'`);
    await queryRunner.query(
      `UPDATE "plans" SET "log_retention_days" = v.days, "log_mb_per_day" = v.mb
         FROM (VALUES ('free', 1, 100), ('hobby', 3, 250), ('pro', 7, 500), ('business', 30, 1024)) AS v(id, days, mb)
        WHERE "plans"."id" = v.id`,
    );
    await queryRunner.query(
      `CREATE TABLE "app_log_lines" (
         "app_id" uuid NOT NULL REFERENCES "apps"("id") ON DELETE CASCADE,
         "replica_id" uuid NOT NULL,
         "container_id" character varying(64) NOT NULL,
         "stream" character varying(6) NOT NULL,
         "ts" text COLLATE "C" NOT NULL,
         "ordinal" integer NOT NULL,
         "text" bytea NOT NULL,
         "expires_on" date NOT NULL,
         PRIMARY KEY ("replica_id", "ts", "ordinal", "expires_on")
       ) PARTITION BY RANGE ("expires_on")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_app_log_lines_app_order" ON "app_log_lines" ("app_id", "ts", "replica_id", "ordinal")`,
    );
    await queryRunner.query(
      `CREATE TABLE "app_log_watermarks" (
         "replica_id" uuid PRIMARY KEY,
         "app_id" uuid NOT NULL REFERENCES "apps"("id") ON DELETE CASCADE,
         "ts" text COLLATE "C" NOT NULL,
         "ordinal" integer NOT NULL,
         "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
       )`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_app_log_watermarks_app" ON "app_log_watermarks" ("app_id")`);
    await queryRunner.query(
      `CREATE TABLE "app_log_days" (
         "app_id" uuid NOT NULL REFERENCES "apps"("id") ON DELETE CASCADE,
         "day" date NOT NULL,
         "bytes_kept" bigint NOT NULL DEFAULT 0,
         "lines_kept" bigint NOT NULL DEFAULT 0,
         "lines_not_kept" bigint NOT NULL DEFAULT 0,
         PRIMARY KEY ("app_id", "day")
       )`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "app_log_days"`);
    await queryRunner.query(`DROP TABLE "app_log_watermarks"`);
    await queryRunner.query(`DROP TABLE "app_log_lines"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "log_mb_per_day"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP COLUMN "log_retention_days"`);
  }
}
