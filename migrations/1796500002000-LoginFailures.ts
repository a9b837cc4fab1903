import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed logins per (account, address) with a decaying count, replacing the per-account lock in `users`
 * (which anyone could trigger against the owner). The account is a hash of the normalized email.
 */
export class LoginFailures1796500002000 implements MigrationInterface {
  name = 'LoginFailures1796500002000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "login_failures" ("account_key" character(64) NOT NULL, "address" character varying(100) NOT NULL, "failures" double precision NOT NULL, "last_failure_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_login_failures" PRIMARY KEY ("account_key", "address"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_login_failures_last_failure_at" ON "login_failures" ("last_failure_at")`,
    );
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "failed_logins"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "locked_until"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "locked_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "users" ADD "failed_logins" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`DROP TABLE "login_failures"`);
  }
}
