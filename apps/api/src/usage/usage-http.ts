import { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Principal } from '../../../../libs/identity/index.js';
import {
  usageCsv,
  type UsagePageInput,
  type UsageScope,
  type UsageService,
} from '../../../../libs/metering/index.js';
import { UsagePageView } from './usage.dto.js';

/** CSV when asked by `format=csv`, or by an Accept header naming text/csv without `format=json`. */
export function wantsCsv(request: Request, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  return /(^|[\s,])text\/csv\b/i.test(request.headers.accept ?? '');
}

/**
 * One page as JSON, or the records streamed as CSV (RFC 4180, header row first); the CSV's resume point
 * goes in the X-Next-Cursor header, since it is known before the first row.
 */
export async function usageListResponse(
  usage: UsageService,
  principal: Principal,
  scope: UsageScope,
  query: UsagePageInput & { format?: 'json' | 'csv' },
  request: Request,
  response: Response,
): Promise<UsagePageView | StreamableFile> {
  response.setHeader('Vary', 'Accept');
  if (!wantsCsv(request, query.format)) return UsagePageView.from(await usage.page(principal, scope, query));
  const exported = await usage.export(principal, scope, query);
  if (exported.nextCursor) response.setHeader('X-Next-Cursor', exported.nextCursor);
  response.setHeader('Cache-Control', 'no-store');
  return new StreamableFile(Readable.from(usageCsv(exported.batches)), {
    type: 'text/csv; charset=utf-8',
    disposition: 'attachment; filename="usage.csv"',
  });
}
