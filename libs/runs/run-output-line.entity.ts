import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One line a run printed, numbered per run from 1 (readers page and resume by `seq`). */
@Entity('run_output_lines')
export class RunOutputLine {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId: string;

  @PrimaryColumn({ type: 'integer' })
  seq: number;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'varchar', length: 6 })
  stream: 'stdout' | 'stderr';

  @Column({ type: 'text' })
  text: string;
}
