import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UpdatePlanRequest } from './plans.dto.js';

/** The properties a plan update is refused on. */
function refused(body: Record<string, unknown>): string[] {
  return validateSync(plainToInstance(UpdatePlanRequest, body)).map((error) => error.property);
}

describe('plan log limits', () => {
  it.each([
    [{ logRetentionDays: 1 }],
    [{ logRetentionDays: 90 }],
    [{ logMbPerDay: 1 }],
    [{ logMbPerDay: 10_240 }],
  ])('accepts %j', (body) => {
    expect(refused(body)).toEqual([]);
  });

  it.each([
    [{ logRetentionDays: 0 }, 'logRetentionDays'],
    [{ logRetentionDays: 91 }, 'logRetentionDays'],
    [{ logRetentionDays: 1.5 }, 'logRetentionDays'],
    [{ logMbPerDay: 0 }, 'logMbPerDay'],
    [{ logMbPerDay: 10_241 }, 'logMbPerDay'],
  ])('refuses %j', (body, property) => {
    expect(refused(body)).toEqual([property]);
  });
});
