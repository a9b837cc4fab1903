import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, Not, type EntityManager } from 'typeorm';
import { AppDomain } from './app-domain.entity.js';

/** Every read and write of the `app_domains` rows. */
@Injectable()
export class AppDomainsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private rows(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(AppDomain);
  }

  ofApp(appId: string): Promise<AppDomain[]> {
    return this.rows().find({ where: { appId }, order: { hostname: 'ASC' } });
  }

  oneOfApp(appId: string, hostname: string): Promise<AppDomain | null> {
    return this.rows().findOne({ where: { appId, hostname } });
  }

  countOfTenant(tenantId: string, manager: EntityManager): Promise<number> {
    return this.rows(manager).count({ where: { tenantId } });
  }

  /** The verified claim of a hostname, whoever holds it. */
  verifiedOf(hostname: string, manager?: EntityManager): Promise<AppDomain | null> {
    return this.rows(manager).findOne({ where: { hostname, verifiedAt: Not(IsNull()) } });
  }

  /** The verified domains of these apps. */
  verifiedOfApps(appIds: string[]): Promise<AppDomain[]> {
    return this.rows().find({
      where: { appId: In(appIds), verifiedAt: Not(IsNull()) },
      order: { hostname: 'ASC' },
    });
  }

  /** Every verified domain (what the edge router routes). */
  allVerified(): Promise<AppDomain[]> {
    return this.rows().find({ where: { verifiedAt: Not(IsNull()) } });
  }

  /** A pending domain; with `acmeRequestedAt`, asking for an ACME certificate from then on. */
  insert(
    manager: EntityManager,
    {
      acmeRequestedAt,
      ...row
    }: Pick<AppDomain, 'tenantId' | 'appId' | 'hostname' | 'verificationToken'> & {
      acmeRequestedAt: Date | null;
    },
  ): Promise<AppDomain> {
    const repository = this.rows(manager);
    return repository.save(
      repository.create({
        ...row,
        verifiedAt: null,
        lastError: null,
        certificatePem: null,
        keySealed: null,
        certificateNotAfter: null,
        certificateSource: acmeRequestedAt ? 'acme' : null,
        certificateIssuer: null,
        acmeStatus: acmeRequestedAt ? 'pending' : null,
        acmeError: null,
        acmeAttempts: 0,
        acmeNextAttemptAt: acmeRequestedAt,
      }),
    );
  }

  /** Marks the domain verified; PostgreSQL refuses (unique violation) when another app verified it first. */
  async markVerified(id: string, at: Date): Promise<void> {
    await this.rows().update({ id }, { verifiedAt: at, lastError: null });
  }

  /** An uploaded certificate: it replaces any other and ends ACME issuance for the domain. */
  async setCertificate(
    id: string,
    certificate: {
      certificatePem: string;
      keySealed: string;
      certificateNotAfter: Date;
      certificateIssuer: string;
    },
  ): Promise<void> {
    await this.rows().update(
      { id },
      {
        ...certificate,
        certificateSource: 'uploaded',
        acmeStatus: null,
        acmeError: null,
        acmeAttempts: 0,
        acmeNextAttemptAt: null,
      },
    );
  }

  async recordFailure(id: string, lastError: string): Promise<void> {
    await this.rows().update({ id }, { lastError: lastError.slice(0, 300) });
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await this.rows(manager).delete({ id });
  }
}
