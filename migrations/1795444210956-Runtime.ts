import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Runtime1795444210956 implements MigrationInterface {
  name = 'Runtime1795444210956';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "apps" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "name" character varying(40) NOT NULL, "desired_state" character varying(16) NOT NULL DEFAULT 'stopped', "replicas" integer NOT NULL DEFAULT '1', "current_release_id" uuid, "env_sealed" text, "load_balancer" jsonb, "generation" integer NOT NULL DEFAULT '0', "observed_generation" integer NOT NULL DEFAULT '0', "phase" character varying(16) NOT NULL DEFAULT 'stopped', "status_reason" character varying(500), "restart_requested_at" TIMESTAMP WITH TIME ZONE, "deleting_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c5121fda0f8268f1f7f84134e19" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_aa8c6eba131318fd2bf3e9428f" ON "apps"  ("tenant_id", "name") `,
    );
    await queryRunner.query(
      `CREATE TABLE "idempotency_records" ("tenant_id" uuid NOT NULL, "key" character varying(200) NOT NULL, "request_hash" character varying(64) NOT NULL, "response_status" integer, "response_body" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0ec449544175b50fe734d3bfbf6" PRIMARY KEY ("tenant_id", "key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "releases" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "app_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "version" integer NOT NULL, "build_id" uuid, "image" character varying(300), "env_sealed" text, "memory_mb" integer NOT NULL, "cpu_millis" integer NOT NULL, "replicas" integer NOT NULL, "description" character varying(200) NOT NULL, "created_by" character varying(80) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6b6fc2599a5a281dd44a7d64016" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_2fb945d3ff8fce5f6b8765c547" ON "releases"  ("app_id", "version") `,
    );
    await queryRunner.query(
      `CREATE TABLE "build_log_lines" ("build_id" uuid NOT NULL, "seq" integer NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "text" text NOT NULL, CONSTRAINT "PK_09c82364e7e695b4d737d9b0a5e" PRIMARY KEY ("build_id", "seq"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "builds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "app_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'queued', "source_key" character varying(200) NOT NULL, "source_sha256" character varying(64) NOT NULL, "source_bytes" bigint NOT NULL, "image" character varying(300), "host_id" uuid, "timeout_seconds" integer NOT NULL, "memory_mb" integer NOT NULL, "cpu_millis" integer NOT NULL, "error" character varying(1000), "cancel_requested" boolean NOT NULL DEFAULT false, "lease_owner" character varying(80), "lease_expires_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "release_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_c181c897db1d7b044faace6e86c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_231c3800bafae63c236c896623" ON "builds"  ("app_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_a1e165e253a1321b96d95ae9a6" ON "builds"  ("tenant_id") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_c27bd5d6ad6bd8a7151ae2f0b8" ON "builds"  ("status", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "hosts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(80) NOT NULL, "endpoint" character varying(300) NOT NULL, "tls_sealed" text, "status" character varying(16) NOT NULL DEFAULT 'ready', "admin_status" character varying(16) NOT NULL DEFAULT 'ready', "public_address" character varying(100) NOT NULL DEFAULT '127.0.0.1', "engine_version" character varying(40), "cpus" integer NOT NULL DEFAULT '0', "memory_mb" integer NOT NULL DEFAULT '0', "labels" jsonb NOT NULL DEFAULT '{}', "consecutive_failures" integer NOT NULL DEFAULT '0', "last_heartbeat_at" TIMESTAMP WITH TIME ZONE, "last_error" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c4bcf0826e0e2847faee4da1746" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_d6d891591add4f442af21db7fb" ON "hosts"  ("name") `);
    await queryRunner.query(
      `CREATE TABLE "replica_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "replica_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "app_id" uuid NOT NULL, "role" character varying(8) NOT NULL, "container_id" character varying(80) NOT NULL, "memory_mb" integer NOT NULL, "cpu_millis" integer NOT NULL, "plan_id" character varying(40) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "stopped_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_974b2d0bba992de933683f87691" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_3cd53c46afc9db33d04121741b" ON "replica_runs"  ("replica_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_89f5f41232ecdff5c8b00810c3" ON "replica_runs"  ("stopped_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_f346360f69a44ba9c2a64371ef" ON "replica_runs"  ("started_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "replicas" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "app_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "release_id" uuid, "host_id" uuid NOT NULL, "role" character varying(8) NOT NULL DEFAULT 'web', "container_id" character varying(80), "container_name" character varying(120) NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'pending', "host_port" integer, "memory_mb" integer NOT NULL, "cpu_millis" integer NOT NULL, "restarts" integer NOT NULL DEFAULT '0', "exit_code" integer, "oom_killed" boolean NOT NULL DEFAULT false, "next_restart_at" TIMESTAMP WITH TIME ZONE, "last_error" character varying(500), "started_at" TIMESTAMP WITH TIME ZONE, "stopped_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6587a2c44763909278f24ae9357" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_8a9e1c41987965ffe4506dab73" ON "replicas"  ("tenant_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_4260dd092400f47e9466e53fce" ON "replicas"  ("container_id") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_9e964f4d87b8a83ed48fbf1d34" ON "replicas"  ("app_id", "state") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_9e964f4d87b8a83ed48fbf1d34"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_4260dd092400f47e9466e53fce"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_8a9e1c41987965ffe4506dab73"`);
    await queryRunner.query(`DROP TABLE "replicas"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_f346360f69a44ba9c2a64371ef"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_89f5f41232ecdff5c8b00810c3"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_3cd53c46afc9db33d04121741b"`);
    await queryRunner.query(`DROP TABLE "replica_runs"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_d6d891591add4f442af21db7fb"`);
    await queryRunner.query(`DROP TABLE "hosts"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c27bd5d6ad6bd8a7151ae2f0b8"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_a1e165e253a1321b96d95ae9a6"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_231c3800bafae63c236c896623"`);
    await queryRunner.query(`DROP TABLE "builds"`);
    await queryRunner.query(`DROP TABLE "build_log_lines"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_2fb945d3ff8fce5f6b8765c547"`);
    await queryRunner.query(`DROP TABLE "releases"`);
    await queryRunner.query(`DROP TABLE "idempotency_records"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_aa8c6eba131318fd2bf3e9428f"`);
    await queryRunner.query(`DROP TABLE "apps"`);
  }
}
