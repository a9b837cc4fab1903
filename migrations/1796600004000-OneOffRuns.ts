import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One-off runs (commands and release commands of a release) and their bounded output (libs/runs). */

export class OneOffRuns1796600004000 implements MigrationInterface {
  name = 'OneOffRuns1796600004000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "one_off_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "app_id" uuid NOT NULL, "release_id" uuid NOT NULL, "release_version" integer NOT NULL, "purpose" character varying(8) NOT NULL, "command" jsonb NOT NULL, "state" character varying(16) NOT NULL, "exit_code" integer, "oom_killed" boolean NOT NULL DEFAULT false, "timeout_seconds" integer NOT NULL, "host_id" uuid, "container_id" character varying(80), "memory_mb" integer NOT NULL, "cpu_millis" integer NOT NULL, "plan_id" character varying(40) NOT NULL, "reason" character varying(500), "created_by" character varying(80) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_8f2555b5450672cd7e82aea872f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_393a447e9b5c1506e845b59015" ON "one_off_runs"  ("finished_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_3934dd6f6953ca7f84d06fa87b" ON "one_off_runs"  ("started_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_7b8b8337681e889f5a5dae7601" ON "one_off_runs"  ("tenant_id", "state") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_b5c224eb61a07ee0cc4dadfb07" ON "one_off_runs"  ("app_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "run_output_lines" ("run_id" uuid NOT NULL, "seq" integer NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "stream" character varying(6) NOT NULL, "text" text NOT NULL, CONSTRAINT "PK_12b0b96467177216c954f48dbac" PRIMARY KEY ("run_id", "seq"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "run_output_lines"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b5c224eb61a07ee0cc4dadfb07"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_7b8b8337681e889f5a5dae7601"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_3934dd6f6953ca7f84d06fa87b"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_393a447e9b5c1506e845b59015"`);
    await queryRunner.query(`DROP TABLE "one_off_runs"`);
  }
}
