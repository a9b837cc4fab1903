import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An HTTP-01 challenge in flight: the edge router answers `GET /.well-known/acme-challenge/<token>` for
 * `hostname` with `keyAuthorization` while the row exists. Neither is secret (the CA fetches it in clear).
 */
@Entity('acme_challenges')
export class AcmeChallenge {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  token: string;

  @Column({ type: 'varchar', length: 253 })
  hostname: string;

  @Column({ name: 'key_authorization', type: 'varchar', length: 300 })
  keyAuthorization: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
