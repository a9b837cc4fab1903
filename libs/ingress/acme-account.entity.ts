import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Berth's account at an ACME directory: its key is made once, on first use, and sealed with the platform
 * key (the directory URL as context); the account URL is what the CA answered at registration.
 */
@Entity('acme_accounts')
export class AcmeAccount {
  @PrimaryColumn({ name: 'directory_url', type: 'varchar', length: 500 })
  directoryUrl: string;

  @Column({ name: 'key_sealed', type: 'text' })
  keySealed: string;

  @Column({ name: 'account_url', type: 'varchar', length: 500, nullable: true })
  accountUrl: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
