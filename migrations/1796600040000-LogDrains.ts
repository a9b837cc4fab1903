import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Log drains: where an app's lines are forwarded, with counters the forwarding process flushes. */
export class LogDrains1796600040000 implements MigrationInterface {
  name = 'LogDrains1796600040000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "log_drains" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "app_id" uuid NOT NULL, "url" character varying(2000) NOT NULL, "lines_sent" bigint NOT NULL DEFAULT '0', "lines_dropped" bigint NOT NULL DEFAULT '0', "last_error" character varying(300), "last_sent_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_843cd223afca3503583a4bb0837" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_c61d8f4ccf591d2aa6d08ca9c9" ON "log_drains"  ("app_id", "created_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "log_drains" ADD CONSTRAINT "FK_1906a5a1a07bf102c8b07852819" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "log_drains" DROP CONSTRAINT "FK_1906a5a1a07bf102c8b07852819"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c61d8f4ccf591d2aa6d08ca9c9"`);
    await queryRunner.query(`DROP TABLE "log_drains"`);
  }
}
