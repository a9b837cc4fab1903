import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { App } from '../apps/index.js';

export type CertificateSource = 'uploaded' | 'acme';
export type AcmeStatus = 'pending' | 'issuing' | 'issued' | 'failed';

/**
 * A custom hostname a tenant attached to one of its apps. It routes only once verified (verifiedAt set):
 * the tenant published the DNS TXT record `_berth-challenge.<hostname>` with `verificationToken`.
 * PostgreSQL keeps a hostname verified for at most one app on the platform (partial unique index), and a
 * tenant claims a hostname once; several tenants may hold a pending claim (a claim proves nothing, so it
 * must not lock the rightful owner out), and the first to verify takes it.
 */
@Entity('app_domains')
@Index('UQ_app_domains_tenant_hostname', ['tenantId', 'hostname'], { unique: true })
@Index('UQ_app_domains_verified_hostname', ['hostname'], { unique: true, where: 'verified_at IS NOT NULL' })
export class AppDomain {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Index('IDX_app_domains_app')
  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  /** Deleting the app deletes its domains with it. */
  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: App;

  /** Lower-case DNS name, no trailing dot, never under the apps domain. */
  @Column({ type: 'varchar', length: 253 })
  hostname: string;

  /** The value the TXT record must hold (random, not secret: it sits in public DNS). */
  @Column({ name: 'verification_token', type: 'varchar', length: 64 })
  verificationToken: string;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;

  /** The uploaded PEM chain (leaf first), checked by checkCertificate; null: no certificate. */
  @Column({ name: 'certificate_pem', type: 'text', nullable: true })
  certificatePem: string | null;

  /** Its private key, sealed with the platform key and the domain id as context; never returned. */
  @Column({ name: 'key_sealed', type: 'text', nullable: true })
  keySealed: string | null;

  @Column({ name: 'certificate_not_after', type: 'timestamptz', nullable: true })
  certificateNotAfter: Date | null;

  /** Where the certificate comes from: uploaded by the tenant or issued by ACME; null: none asked for. */
  @Column({ name: 'certificate_source', type: 'varchar', length: 16, nullable: true })
  certificateSource: CertificateSource | null;

  /** The issuer of the certificate in place (its leaf's issuer name). */
  @Column({ name: 'certificate_issuer', type: 'varchar', length: 300, nullable: true })
  certificateIssuer: string | null;

  /** ACME issuance: pending (waits for verification or its turn), issuing, issued, failed. */
  @Column({ name: 'acme_status', type: 'varchar', length: 16, nullable: true })
  acmeStatus: AcmeStatus | null;

  /** Why the last ACME attempt failed (shown on the domain). */
  @Column({ name: 'acme_error', type: 'varchar', length: 500, nullable: true })
  acmeError: string | null;

  /** Failed attempts since the last success or request; bounded by BERTH_ACME_MAX_ATTEMPTS. */
  @Column({ name: 'acme_attempts', type: 'integer', default: 0 })
  acmeAttempts: number;

  /** When the ACME loop next tries (issuance, a retry or the renewal); null: nothing planned. */
  @Index('IDX_app_domains_acme_next_attempt')
  @Column({ name: 'acme_next_attempt_at', type: 'timestamptz', nullable: true })
  acmeNextAttemptAt: Date | null;

  /** Why the last verification failed (shown on the domain). */
  @Column({ name: 'last_error', type: 'varchar', length: 300, nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
