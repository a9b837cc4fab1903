import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThanOrEqual, MoreThan, Not } from 'typeorm';
import { AcmeAccount } from './acme-account.entity.js';
import { AcmeChallenge } from './acme-challenge.entity.js';
import { AppDomain } from './app-domain.entity.js';

/** A challenge older than this is left out of the router (a crashed issuer never removed it). */
const CHALLENGE_LIFETIME_MS = 3_600_000;

/** Every read and write of ACME state: accounts, challenges in flight, and the domains' ACME columns. */
@Injectable()
export class AcmeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  account(directoryUrl: string): Promise<AcmeAccount | null> {
    return this.dataSource.getRepository(AcmeAccount).findOne({ where: { directoryUrl } });
  }

  /** Stores a new account key unless one exists already (then that one wins); returns the stored row. */
  async ensureAccount(directoryUrl: string, keySealed: string): Promise<AcmeAccount> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(AcmeAccount)
      .values({ directoryUrl, keySealed, accountUrl: null })
      .orIgnore()
      .execute();
    return (await this.account(directoryUrl))!;
  }

  async setAccountUrl(directoryUrl: string, accountUrl: string): Promise<void> {
    await this.dataSource.getRepository(AcmeAccount).update({ directoryUrl }, { accountUrl });
  }

  async addChallenge(row: Pick<AcmeChallenge, 'token' | 'hostname' | 'keyAuthorization'>): Promise<void> {
    await this.dataSource.getRepository(AcmeChallenge).upsert(row, ['token']);
  }

  async removeChallenge(token: string): Promise<void> {
    await this.dataSource.getRepository(AcmeChallenge).delete({ token });
  }

  /** The challenges the routers answer. */
  liveChallenges(now = new Date()): Promise<AcmeChallenge[]> {
    return this.dataSource.getRepository(AcmeChallenge).find({
      where: { createdAt: MoreThan(new Date(now.getTime() - CHALLENGE_LIFETIME_MS)) },
      order: { token: 'ASC' },
    });
  }

  /** Verified domains whose ACME attempt (first, retry or renewal) is due, oldest first. */
  due(now: Date, limit: number): Promise<AppDomain[]> {
    return this.dataSource.getRepository(AppDomain).find({
      where: {
        certificateSource: 'acme',
        verifiedAt: Not(IsNull()),
        acmeNextAttemptAt: LessThanOrEqual(now),
      },
      order: { acmeNextAttemptAt: 'ASC' },
      take: limit,
    });
  }

  /** The tenant asked for ACME (again): due now, attempts reset; any certificate in place stays served. */
  async request(id: string, now: Date): Promise<void> {
    await this.dataSource.getRepository(AppDomain).update(
      { id },
      {
        certificateSource: 'acme',
        acmeStatus: 'pending',
        acmeError: null,
        acmeAttempts: 0,
        acmeNextAttemptAt: now,
      },
    );
  }

  async markIssuing(id: string): Promise<void> {
    await this.dataSource.getRepository(AppDomain).update({ id }, { acmeStatus: 'issuing' });
  }

  /**
   * The new certificate replaces the old one in one update (the router swaps it at its next sync, with
   * a graceful reload); only while the domain still asks for ACME (an upload meanwhile wins).
   */
  async markIssued(
    id: string,
    issued: {
      certificatePem: string;
      keySealed: string;
      certificateNotAfter: Date;
      certificateIssuer: string;
      renewAt: Date;
    },
  ): Promise<void> {
    await this.dataSource.getRepository(AppDomain).update(
      { id, certificateSource: 'acme' },
      {
        certificatePem: issued.certificatePem,
        keySealed: issued.keySealed,
        certificateNotAfter: issued.certificateNotAfter,
        certificateIssuer: issued.certificateIssuer,
        acmeStatus: 'issued',
        acmeError: null,
        acmeAttempts: 0,
        acmeNextAttemptAt: issued.renewAt,
      },
    );
  }

  async markFailed(
    id: string,
    failure: { error: string; attempts: number; retryAt: Date | null },
  ): Promise<void> {
    await this.dataSource.getRepository(AppDomain).update(
      { id, certificateSource: 'acme' },
      {
        acmeStatus: 'failed',
        acmeError: failure.error.slice(0, 500),
        acmeAttempts: failure.attempts,
        acmeNextAttemptAt: failure.retryAt,
      },
    );
  }
}
