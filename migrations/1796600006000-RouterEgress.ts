import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RouterEgress1796600006000 implements MigrationInterface {
  name = 'RouterEgress1796600006000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "router_traffic" ("app_id" uuid NOT NULL, "window_start" TIMESTAMP WITH TIME ZONE NOT NULL, "window_end" TIMESTAMP WITH TIME ZONE NOT NULL, "tenant_id" uuid NOT NULL, "bytes_in" bigint NOT NULL, "bytes_out" bigint NOT NULL, CONSTRAINT "PK_c2a05f1579f543c9a9b63e78535" PRIMARY KEY ("app_id", "window_start"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "router_log_positions" ("host_id" uuid NOT NULL, "container_id" character varying(64) NOT NULL, "timestamp" character varying(40) NOT NULL, "ordinal" integer NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d619ab7d9af56b4718e713b110d" PRIMARY KEY ("host_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "bytes_in" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "usage_records" ADD "bytes_out" bigint NOT NULL DEFAULT '0'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "bytes_out"`);
    await queryRunner.query(`ALTER TABLE "usage_records" DROP COLUMN "bytes_in"`);
    await queryRunner.query(`DROP TABLE "router_log_positions"`);
    await queryRunner.query(`DROP TABLE "router_traffic"`);
  }
}
