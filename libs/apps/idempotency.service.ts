import crypto from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUniqueViolation } from '../db/index.js';
import { ProblemError } from '../errors/index.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';

export interface IdempotentResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

export function requestFingerprint(parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Creates that cost money accept an Idempotency-Key: the first response (status and body) is stored and
 * replayed to retries with the same key and request; the same key with another request is refused, and a
 * retry that arrives while the first is still running is told to wait.
 */
@Injectable()
export class IdempotencyService {
  constructor(@InjectRepository(IdempotencyRecord) private readonly records: Repository<IdempotencyRecord>) {}

  async run(
    scope: { tenantId: string; key: string; fingerprint: string },
    work: () => Promise<{ status: number; body: unknown }>,
  ): Promise<IdempotentResponse> {
    if (scope.key.length > 200 || !/^[\x21-\x7e]+$/.test(scope.key)) {
      throw new ProblemError(
        400,
        'invalid_idempotency_key',
        'Bad request',
        'Idempotency-Key must be 1-200 visible ASCII characters',
      );
    }
    try {
      await this.records.insert({ tenantId: scope.tenantId, key: scope.key, requestHash: scope.fingerprint });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const existing = await this.records.findOneByOrFail({ tenantId: scope.tenantId, key: scope.key });
      if (existing.requestHash !== scope.fingerprint) {
        throw new ProblemError(
          422,
          'idempotency_key_reused',
          'Unprocessable content',
          'This Idempotency-Key was used with a different request',
        );
      }
      if (existing.responseStatus === null) {
        throw new ProblemError(
          409,
          'idempotency_in_progress',
          'Conflict',
          'The first request with this key is still running; retry shortly',
          {},
          { 'Retry-After': '1' },
        );
      }
      return { status: existing.responseStatus, body: existing.responseBody, replayed: true };
    }
    try {
      const result = await work();
      await this.records.update(
        { tenantId: scope.tenantId, key: scope.key },
        { responseStatus: result.status, responseBody: result.body as object },
      );
      return { ...result, replayed: false };
    } catch (err) {
      // A failed first attempt stores nothing: the client may retry the same key and be served afresh.
      await this.records.delete({ tenantId: scope.tenantId, key: scope.key });
      throw err;
    }
  }
}
