import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLogReads1796600007000 implements MigrationInterface {
  name = 'AuditLogReads1796600007000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_events" ADD "seq" BIGSERIAL NOT NULL`);
    // Events written before this migration get their seq in the order they were written, not in heap order.
    await queryRunner.query(
      `UPDATE "audit_events" e SET "seq" = o.n FROM (SELECT "id", row_number() OVER (ORDER BY "created_at", "id") AS n FROM "audit_events") o WHERE e."id" = o."id"`,
    );
    await queryRunner.query(
      `SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), GREATEST((SELECT max("seq") FROM "audit_events"), 1))`,
    );
    await queryRunner.query(`ALTER TABLE "audit_events" ADD "address" character varying(64)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_6e299f5706e715265416fefe53" ON "audit_events"  ("seq") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_a5de65da7e9cefefeac0b89c2b" ON "audit_events"  ("tenant_id", "seq") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_a5de65da7e9cefefeac0b89c2b"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_6e299f5706e715265416fefe53"`);
    await queryRunner.query(`ALTER TABLE "audit_events" DROP COLUMN "address"`);
    await queryRunner.query(`ALTER TABLE "audit_events" DROP COLUMN "seq"`);
  }
}
