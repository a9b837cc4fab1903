import { describe, expect, it } from '@jest/globals';
import { ProblemError } from '../../../../libs/errors/index.js';
import { IntParamPipe, MAX_INT32 } from './int-param.pipe.js';

const meta = { type: 'param' as const, data: 'version' };

describe('IntParamPipe', () => {
  it('passes integers within the range', () => {
    expect(new IntParamPipe().transform('0', meta)).toBe(0);
    expect(new IntParamPipe().transform(String(MAX_INT32), meta)).toBe(MAX_INT32);
    expect(new IntParamPipe({ default: 0 }).transform(undefined, meta)).toBe(0);
  });

  it('passes a parameter the global ValidationPipe already made a number, within the same range', () => {
    expect(new IntParamPipe({ min: 1 }).transform(3, meta)).toBe(3);
    expect(() => new IntParamPipe({ min: 1 }).transform(MAX_INT32 + 1, meta)).toThrow(ProblemError);
    expect(() => new IntParamPipe({ min: 1 }).transform(Number.NaN, meta)).toThrow(ProblemError);
  });

  it('refuses beyond the integer column range, negatives, fractions and words as 400 validation_failed', () => {
    for (const value of [
      String(MAX_INT32 + 1),
      '99999999999999999999',
      '-1',
      '1.5',
      '1e3',
      'abc',
      '',
      ' 1',
    ]) {
      let thrown: unknown;
      try {
        new IntParamPipe({ min: 1 }).transform(value, meta);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProblemError);
      expect((thrown as ProblemError).status).toBe(400);
      expect((thrown as ProblemError).code).toBe('validation_failed');
    }
  });
});
