import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReplicaSamples1796600008000 implements MigrationInterface {
  name = 'ReplicaSamples1796600008000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "replica_samples" ("id" BIGSERIAL NOT NULL, "replica_id" uuid NOT NULL, "app_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "role" character varying(8) NOT NULL, "container_id" character varying(80) NOT NULL, "sampled_at" TIMESTAMP WITH TIME ZONE NOT NULL, "interval_ms" integer, "cpu_millicores" double precision, "cpu_limit_millicores" integer NOT NULL, "memory_bytes" bigint NOT NULL, "memory_limit_bytes" bigint NOT NULL, "network_rx_bytes" bigint, "network_tx_bytes" bigint, "block_read_bytes" bigint, "block_write_bytes" bigint, "pids" integer NOT NULL, "restarts" integer NOT NULL DEFAULT '0', "oom_kills" integer NOT NULL DEFAULT '0', "cpu_nanos_total" bigint NOT NULL, "network_rx_total" bigint NOT NULL, "network_tx_total" bigint NOT NULL, "block_read_total" bigint NOT NULL, "block_write_total" bigint NOT NULL, "restarts_total" integer NOT NULL, CONSTRAINT "PK_8e0e4396f2b192edb41fb407c92" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_5d5fa915e431463080e2b0b734" ON "replica_samples"  ("sampled_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_f5a3902f4decff6732d775b282" ON "replica_samples"  ("replica_id", "sampled_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_e0a59db7cb960996f5d6fa751a" ON "replica_samples"  ("app_id", "sampled_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_e0a59db7cb960996f5d6fa751a"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_f5a3902f4decff6732d775b282"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5d5fa915e431463080e2b0b734"`);
    await queryRunner.query(`DROP TABLE "replica_samples"`);
  }
}
