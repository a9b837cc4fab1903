import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * State that must hold across API processes: failed logins per client address (login backoff) and the
 * open log streams of each tenant (stream limit). Both are read and written with SQL only (no entities).
 */
export class CrossProcessState1795446000000 implements MigrationInterface {
  name = 'CrossProcessState1795446000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "login_address_failures" ("address" character varying(100) NOT NULL, "failures" integer NOT NULL, "last_failure_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_login_address_failures" PRIMARY KEY ("address"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_login_address_failures_last_failure_at" ON "login_address_failures" ("last_failure_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "log_stream_slots" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "process_id" character varying(100) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_log_stream_slots" PRIMARY KEY ("id"), CONSTRAINT "FK_log_stream_slots_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_log_stream_slots_tenant_expires" ON "log_stream_slots" ("tenant_id", "expires_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_log_stream_slots_process" ON "log_stream_slots" ("process_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "log_stream_slots"`);
    await queryRunner.query(`DROP TABLE "login_address_failures"`);
  }
}
