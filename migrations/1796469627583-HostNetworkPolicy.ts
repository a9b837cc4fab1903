import type { MigrationInterface, QueryRunner } from 'typeorm';

export class HostNetworkPolicy1796469627583 implements MigrationInterface {
  name = 'HostNetworkPolicy1796469627583';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "hosts" ADD "network_policy" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "hosts" ADD "network_policy_reason" character varying(500)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "hosts" DROP COLUMN "network_policy_reason"`);
    await queryRunner.query(`ALTER TABLE "hosts" DROP COLUMN "network_policy"`);
  }
}
