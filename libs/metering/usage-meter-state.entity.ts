import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The meter's bookmark per source (`replica_runs`, `builds`): every span of that source that stopped
 * before `settledUntil` is completely metered, so a pass only reads spans still open or stopped since.
 * Only an optimisation: what was metered is derived from `usage_records` itself, so deleting these rows
 * makes the next pass rescan everything and store nothing twice.
 */
@Entity('usage_meter_state')
export class UsageMeterState {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  source: string;

  @Column({ name: 'settled_until', type: 'timestamptz' })
  settledUntil: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
