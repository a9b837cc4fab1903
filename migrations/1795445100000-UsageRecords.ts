import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UsageRecords1795445100000 implements MigrationInterface {
  name = 'UsageRecords1795445100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "usage_meter_state" ("source" character varying(32) NOT NULL, "settled_until" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c537889089a0cfc52d59815c5f8" PRIMARY KEY ("source"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "usage_records" ("id" BIGSERIAL NOT NULL, "tenant_id" uuid NOT NULL, "app_id" uuid, "subject_id" uuid NOT NULL, "kind" character varying(8) NOT NULL, "window_start" TIMESTAMP WITH TIME ZONE NOT NULL, "window_end" TIMESTAMP WITH TIME ZONE NOT NULL, "seconds" numeric(12,3) NOT NULL, "memory_mb" integer NOT NULL, "cpu_millis" integer NOT NULL, "plan_id" character varying(40), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_0f7d19359913750ffc930c7b56b" UNIQUE ("subject_id", "window_start"), CONSTRAINT "PK_e511cf9f7dc53851569f87467a5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_b54a05505312bb2652f505e481" ON "usage_records"  ("window_start") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_ae843ffd0ecc30c2f4acc66de2" ON "usage_records"  ("tenant_id", "window_start") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_305579fb4a840fdf5b697ae071" ON "usage_records"  ("tenant_id", "id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_305579fb4a840fdf5b697ae071"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ae843ffd0ecc30c2f4acc66de2"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b54a05505312bb2652f505e481"`);
    await queryRunner.query(`DROP TABLE "usage_records"`);
    await queryRunner.query(`DROP TABLE "usage_meter_state"`);
  }
}
