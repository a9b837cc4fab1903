import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One line of a build's log; `seq` is monotonic per build so readers resume by cursor. */
@Entity('build_log_lines')
export class BuildLogLine {
  @PrimaryColumn({ name: 'build_id', type: 'uuid' })
  buildId: string;

  @PrimaryColumn({ type: 'integer' })
  seq: number;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  text: string;
}
